// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

interface IERC20Min {
    function transfer(address to, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}

interface IERC1155Receiver {
    function onERC1155Received(address operator, address from, uint256 id, uint256 value,
                               bytes calldata data) external returns (bytes4);
    function onERC1155BatchReceived(address operator, address from, uint256[] calldata ids,
                                    uint256[] calldata values, bytes calldata data)
        external returns (bytes4);
}

/// @title ConditionalTokens
/// @notice The simulator's ERC-1155 Conditional Tokens at the CTF's Polygon address
/// (0x4D97DCd97eC945f40cF65F87097ACe5EA0476045). Written for this project in Solidity 0.8
/// after the public Gnosis Conditional Tokens interface: the same function signatures,
/// events and id derivations (conditionId = keccak256(oracle, questionId, slots);
/// collectionId by hashing onto alt_bn128 and adding the parent point; positionId =
/// keccak256(collateral, collectionId)), so position ids equal the venue's token ids for
/// a given condition and collateral. Only parentCollectionId 0 is exercised by the sim.
contract ConditionalTokens {
    uint256 private constant P =
        21888242871839275222246405745257275088696311157297823662689037894645226208583;
    uint256 private constant B = 3;

    mapping(uint256 => mapping(address => uint256)) private _balances;
    mapping(address => mapping(address => bool)) private _operatorApprovals;
    mapping(bytes32 => uint256[]) public payoutNumerators;
    mapping(bytes32 => uint256) public payoutDenominator;
    address public admin;

    event TransferSingle(address indexed operator, address indexed from, address indexed to,
                         uint256 id, uint256 value);
    event TransferBatch(address indexed operator, address indexed from, address indexed to,
                        uint256[] ids, uint256[] values);
    event ApprovalForAll(address indexed owner, address indexed operator, bool approved);
    event URI(string value, uint256 indexed id);
    event ConditionPreparation(bytes32 indexed conditionId, address indexed oracle,
                               bytes32 indexed questionId, uint256 outcomeSlotCount);
    event ConditionResolution(bytes32 indexed conditionId, address indexed oracle,
                              bytes32 indexed questionId, uint256 outcomeSlotCount,
                              uint256[] payoutNumerators);
    event PositionSplit(address indexed stakeholder, address collateralToken,
                        bytes32 indexed parentCollectionId, bytes32 indexed conditionId,
                        uint256[] partition, uint256 amount);
    event PositionsMerge(address indexed stakeholder, address collateralToken,
                         bytes32 indexed parentCollectionId, bytes32 indexed conditionId,
                         uint256[] partition, uint256 amount);
    event PayoutRedemption(address indexed redeemer, address indexed collateralToken,
                           bytes32 indexed parentCollectionId, bytes32 conditionId,
                           uint256[] indexSets, uint256 payout);

    // ---- admin (faucet) -------------------------------------------------------------
    function initialize(address _admin) external {
        require(admin == address(0), "CTF: already initialized");
        admin = _admin;
    }

    /// @notice Faucet: approve an operator for a wallet whose key the simulator lacks.
    function adminSetApprovalForAll(address owner, address operator, bool approved) external {
        require(msg.sender == admin, "CTF: caller is not the admin");
        _operatorApprovals[owner][operator] = approved;
        emit ApprovalForAll(owner, operator, approved);
    }

    // ---- ERC-1155 -------------------------------------------------------------------
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == 0x01ffc9a7 || interfaceId == 0xd9b67a26;
    }

    function balanceOf(address owner, uint256 id) public view returns (uint256) {
        require(owner != address(0), "ERC1155: balance query for the zero address");
        return _balances[id][owner];
    }

    function balanceOfBatch(address[] calldata owners, uint256[] calldata ids)
        external view returns (uint256[] memory out)
    {
        require(owners.length == ids.length, "ERC1155: owners and IDs must have same lengths");
        out = new uint256[](owners.length);
        for (uint256 i = 0; i < owners.length; i++) {
            out[i] = balanceOf(owners[i], ids[i]);
        }
    }

    function setApprovalForAll(address operator, bool approved) external {
        _operatorApprovals[msg.sender][operator] = approved;
        emit ApprovalForAll(msg.sender, operator, approved);
    }

    function isApprovedForAll(address owner, address operator) external view returns (bool) {
        return _operatorApprovals[owner][operator];
    }

    function safeTransferFrom(address from, address to, uint256 id, uint256 value,
                              bytes calldata data) external {
        require(to != address(0), "ERC1155: target address must be non-zero");
        require(from == msg.sender || _operatorApprovals[from][msg.sender],
                "ERC1155: need operator approval for 3rd party transfers.");
        _move(from, to, id, value);
        emit TransferSingle(msg.sender, from, to, id, value);
        _checkSingle(msg.sender, from, to, id, value, data);
    }

    function safeBatchTransferFrom(address from, address to, uint256[] calldata ids,
                                   uint256[] calldata values, bytes calldata data) external {
        require(ids.length == values.length, "ERC1155: IDs and values must have same lengths");
        require(to != address(0), "ERC1155: target address must be non-zero");
        require(from == msg.sender || _operatorApprovals[from][msg.sender],
                "ERC1155: need operator approval for 3rd party transfers.");
        for (uint256 i = 0; i < ids.length; i++) {
            _move(from, to, ids[i], values[i]);
        }
        emit TransferBatch(msg.sender, from, to, ids, values);
        if (to.code.length > 0) {
            require(IERC1155Receiver(to).onERC1155BatchReceived(msg.sender, from, ids, values,
                                                                data) == 0xbc197c81,
                    "ERC1155: got unknown value from onERC1155BatchReceived");
        }
    }

    function _move(address from, address to, uint256 id, uint256 value) private {
        uint256 bal = _balances[id][from];
        require(bal >= value, "ERC1155: insufficient balance for transfer");
        unchecked {
            _balances[id][from] = bal - value;
        }
        _balances[id][to] += value;
    }

    function _checkSingle(address operator, address from, address to, uint256 id,
                          uint256 value, bytes memory data) private {
        if (to.code.length > 0) {
            require(IERC1155Receiver(to).onERC1155Received(operator, from, id, value, data)
                        == 0xf23a6e61,
                    "ERC1155: got unknown value from onERC1155Received");
        }
    }

    function _batchMint(address to, uint256[] memory ids, uint256[] memory values) private {
        for (uint256 i = 0; i < ids.length; i++) {
            _balances[ids[i]][to] += values[i];
        }
        emit TransferBatch(msg.sender, address(0), to, ids, values);
        if (to.code.length > 0) {
            require(IERC1155Receiver(to).onERC1155BatchReceived(msg.sender, address(0), ids,
                                                                values, "") == 0xbc197c81,
                    "ERC1155: got unknown value from onERC1155BatchReceived");
        }
    }

    function _batchBurn(address from, uint256[] memory ids, uint256[] memory values) private {
        for (uint256 i = 0; i < ids.length; i++) {
            uint256 bal = _balances[ids[i]][from];
            require(bal >= values[i], "ERC1155: burn amount exceeds balance");
            unchecked {
                _balances[ids[i]][from] = bal - values[i];
            }
        }
        emit TransferBatch(msg.sender, from, address(0), ids, values);
    }

    function _burnOne(address from, uint256 id, uint256 value) private {
        uint256 bal = _balances[id][from];
        require(bal >= value, "ERC1155: burn amount exceeds balance");
        unchecked {
            _balances[id][from] = bal - value;
        }
        emit TransferSingle(msg.sender, from, address(0), id, value);
    }

    function _mintOne(address to, uint256 id, uint256 value) private {
        _balances[id][to] += value;
        emit TransferSingle(msg.sender, address(0), to, id, value);
        _checkSingle(msg.sender, address(0), to, id, value, "");
    }

    // ---- conditions -----------------------------------------------------------------
    function prepareCondition(address oracle, bytes32 questionId, uint256 outcomeSlotCount)
        external
    {
        require(outcomeSlotCount <= 256, "too many outcome slots");
        require(outcomeSlotCount > 1, "there should be more than one outcome slot");
        bytes32 conditionId = getConditionId(oracle, questionId, outcomeSlotCount);
        require(payoutNumerators[conditionId].length == 0, "condition already prepared");
        payoutNumerators[conditionId] = new uint256[](outcomeSlotCount);
        emit ConditionPreparation(conditionId, oracle, questionId, outcomeSlotCount);
    }

    function reportPayouts(bytes32 questionId, uint256[] calldata payouts) external {
        uint256 outcomeSlotCount = payouts.length;
        require(outcomeSlotCount > 1, "there should be more than one outcome slot");
        bytes32 conditionId = getConditionId(msg.sender, questionId, outcomeSlotCount);
        require(payoutNumerators[conditionId].length == outcomeSlotCount,
                "condition not prepared or found");
        require(payoutDenominator[conditionId] == 0, "payout denominator already set");
        uint256 den = 0;
        for (uint256 i = 0; i < outcomeSlotCount; i++) {
            den += payouts[i];
            payoutNumerators[conditionId][i] = payouts[i];
        }
        require(den > 0, "payout is all zeroes");
        payoutDenominator[conditionId] = den;
        emit ConditionResolution(conditionId, msg.sender, questionId, outcomeSlotCount,
                                 payoutNumerators[conditionId]);
    }

    function splitPosition(address collateralToken, bytes32 parentCollectionId,
                           bytes32 conditionId, uint256[] calldata partition, uint256 amount)
        external
    {
        require(partition.length > 1, "got empty or singleton partition");
        uint256 slots = payoutNumerators[conditionId].length;
        require(slots > 0, "condition not prepared yet");
        uint256 fullIndexSet = (1 << slots) - 1;
        uint256 freeIndexSet = fullIndexSet;
        uint256[] memory ids = new uint256[](partition.length);
        uint256[] memory amounts = new uint256[](partition.length);
        for (uint256 i = 0; i < partition.length; i++) {
            uint256 indexSet = partition[i];
            require(indexSet > 0 && indexSet < fullIndexSet, "got invalid index set");
            require((indexSet & freeIndexSet) == indexSet, "partition not disjoint");
            freeIndexSet ^= indexSet;
            ids[i] = getPositionId(collateralToken,
                                   getCollectionId(parentCollectionId, conditionId, indexSet));
            amounts[i] = amount;
        }
        if (freeIndexSet == 0) {
            if (parentCollectionId == bytes32(0)) {
                require(IERC20Min(collateralToken).transferFrom(msg.sender, address(this), amount),
                        "could not receive collateral tokens");
            } else {
                _burnOne(msg.sender, getPositionId(collateralToken, parentCollectionId), amount);
            }
        } else {
            _burnOne(msg.sender, getPositionId(collateralToken, getCollectionId(
                parentCollectionId, conditionId, fullIndexSet ^ freeIndexSet)), amount);
        }
        _batchMint(msg.sender, ids, amounts);
        emit PositionSplit(msg.sender, collateralToken, parentCollectionId, conditionId,
                           partition, amount);
    }

    function mergePositions(address collateralToken, bytes32 parentCollectionId,
                            bytes32 conditionId, uint256[] calldata partition, uint256 amount)
        external
    {
        require(partition.length > 1, "got empty or singleton partition");
        uint256 slots = payoutNumerators[conditionId].length;
        require(slots > 0, "condition not prepared yet");
        uint256 fullIndexSet = (1 << slots) - 1;
        uint256 freeIndexSet = fullIndexSet;
        uint256[] memory ids = new uint256[](partition.length);
        uint256[] memory amounts = new uint256[](partition.length);
        for (uint256 i = 0; i < partition.length; i++) {
            uint256 indexSet = partition[i];
            require(indexSet > 0 && indexSet < fullIndexSet, "got invalid index set");
            require((indexSet & freeIndexSet) == indexSet, "partition not disjoint");
            freeIndexSet ^= indexSet;
            ids[i] = getPositionId(collateralToken,
                                   getCollectionId(parentCollectionId, conditionId, indexSet));
            amounts[i] = amount;
        }
        _batchBurn(msg.sender, ids, amounts);
        if (freeIndexSet == 0) {
            if (parentCollectionId == bytes32(0)) {
                require(IERC20Min(collateralToken).transfer(msg.sender, amount),
                        "could not send collateral tokens");
            } else {
                _mintOne(msg.sender, getPositionId(collateralToken, parentCollectionId), amount);
            }
        } else {
            _mintOne(msg.sender, getPositionId(collateralToken, getCollectionId(
                parentCollectionId, conditionId, fullIndexSet ^ freeIndexSet)), amount);
        }
        emit PositionsMerge(msg.sender, collateralToken, parentCollectionId, conditionId,
                            partition, amount);
    }

    function redeemPositions(address collateralToken, bytes32 parentCollectionId,
                             bytes32 conditionId, uint256[] calldata indexSets) external {
        uint256 den = payoutDenominator[conditionId];
        require(den > 0, "result for condition not received yet");
        uint256 slots = payoutNumerators[conditionId].length;
        require(slots > 0, "condition not prepared yet");
        uint256 totalPayout = 0;
        uint256 fullIndexSet = (1 << slots) - 1;
        for (uint256 i = 0; i < indexSets.length; i++) {
            uint256 indexSet = indexSets[i];
            require(indexSet > 0 && indexSet < fullIndexSet, "got invalid index set");
            uint256 positionId = getPositionId(
                collateralToken, getCollectionId(parentCollectionId, conditionId, indexSet));
            uint256 numerator = 0;
            for (uint256 j = 0; j < slots; j++) {
                if (indexSet & (1 << j) != 0) {
                    numerator += payoutNumerators[conditionId][j];
                }
            }
            uint256 stake = _balances[positionId][msg.sender];
            if (stake > 0) {
                totalPayout += stake * numerator / den;
                _burnOne(msg.sender, positionId, stake);
            }
        }
        if (totalPayout > 0) {
            if (parentCollectionId == bytes32(0)) {
                require(IERC20Min(collateralToken).transfer(msg.sender, totalPayout),
                        "could not transfer payout to message sender");
            } else {
                _mintOne(msg.sender, getPositionId(collateralToken, parentCollectionId),
                         totalPayout);
            }
        }
        emit PayoutRedemption(msg.sender, collateralToken, parentCollectionId, conditionId,
                              indexSets, totalPayout);
    }

    function getOutcomeSlotCount(bytes32 conditionId) external view returns (uint256) {
        return payoutNumerators[conditionId].length;
    }

    // ---- id derivations -------------------------------------------------------------
    function getConditionId(address oracle, bytes32 questionId, uint256 outcomeSlotCount)
        public pure returns (bytes32)
    {
        return keccak256(abi.encodePacked(oracle, questionId, outcomeSlotCount));
    }

    function getCollectionId(bytes32 parentCollectionId, bytes32 conditionId, uint256 indexSet)
        public view returns (bytes32)
    {
        uint256 x1 = uint256(keccak256(abi.encodePacked(conditionId, indexSet)));
        bool odd = x1 >> 255 != 0;
        uint256 y1;
        uint256 yy;
        do {
            x1 = addmod(x1, 1, P);
            yy = addmod(mulmod(x1, mulmod(x1, x1, P), P), B, P);
            y1 = _sqrt(yy);
        } while (mulmod(y1, y1, P) != yy);
        if ((odd && y1 % 2 == 0) || (!odd && y1 % 2 == 1)) {
            y1 = P - y1;
        }
        uint256 x2 = uint256(parentCollectionId);
        if (x2 != 0) {
            odd = x2 >> 254 != 0;
            x2 = (x2 << 2) >> 2;
            yy = addmod(mulmod(x2, mulmod(x2, x2, P), P), B, P);
            uint256 y2 = _sqrt(yy);
            if ((odd && y2 % 2 == 0) || (!odd && y2 % 2 == 1)) {
                y2 = P - y2;
            }
            require(mulmod(y2, y2, P) == yy, "invalid parent collection ID");
            (bool ok, bytes memory ret) = address(6).staticcall(abi.encode(x1, y1, x2, y2));
            require(ok, "ecadd failed");
            (x1, y1) = abi.decode(ret, (uint256, uint256));
        }
        if (y1 % 2 == 1) {
            x1 ^= 1 << 254;
        }
        return bytes32(x1);
    }

    function getPositionId(address collateralToken, bytes32 collectionId)
        public pure returns (uint256)
    {
        return uint256(keccak256(abi.encodePacked(collateralToken, collectionId)));
    }

    /// @dev x^((P+1)/4) mod P through the modexp precompile (P = 3 mod 4); the caller
    /// checks that the result squares back to x.
    function _sqrt(uint256 x) private view returns (uint256) {
        (bool ok, bytes memory ret) = address(5).staticcall(
            abi.encode(uint256(32), uint256(32), uint256(32), x, (P + 1) / 4, P));
        require(ok, "modexp failed");
        return abi.decode(ret, (uint256));
    }
}
