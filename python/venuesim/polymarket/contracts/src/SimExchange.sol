// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

interface IERC20S {
    function transfer(address to, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
    function approve(address spender, uint256 value) external returns (bool);
}

interface ICTF {
    function safeTransferFrom(address from, address to, uint256 id, uint256 value,
                              bytes calldata data) external;
    function balanceOf(address owner, uint256 id) external view returns (uint256);
    function splitPosition(address collateralToken, bytes32 parentCollectionId,
                           bytes32 conditionId, uint256[] calldata partition, uint256 amount)
        external;
    function mergePositions(address collateralToken, bytes32 parentCollectionId,
                            bytes32 conditionId, uint256[] calldata partition, uint256 amount)
        external;
    function redeemPositions(address collateralToken, bytes32 parentCollectionId,
                             bytes32 conditionId, uint256[] calldata indexSets) external;
    function prepareCondition(address oracle, bytes32 questionId, uint256 outcomeSlotCount)
        external;
    function getOutcomeSlotCount(bytes32 conditionId) external view returns (uint256);
    function payoutDenominator(bytes32 conditionId) external view returns (uint256);
    function payoutNumerators(bytes32 conditionId, uint256 index) external view returns (uint256);
    function getCollectionId(bytes32 parentCollectionId, bytes32 conditionId, uint256 indexSet)
        external view returns (bytes32);
    function getPositionId(address collateralToken, bytes32 collectionId)
        external pure returns (uint256);
}

/// @title SimExchange
/// @notice NOT the real CTF Exchange V2. Placed at the CTF Exchange V2 and NegRisk CTF
/// Exchange V2 addresses so that wallets' approvals to those addresses are what
/// settlement needs, as on Polygon: pUSD moves with `transferFrom` (allowance to this
/// address) and outcome tokens with `safeTransferFrom` (setApprovalForAll to this
/// address). Matching happens off chain in the simulator's CLOB; its operator submits
/// each matched trade as one `settle` call. The contract itself is the counterparty of
/// the simulator's background flow (which has no wallets): it holds a pUSD float to pay
/// sellers and a USDC.e float that it splits into outcome tokens when it must deliver
/// tokens it does not hold (the complement mint), merging pairs back afterwards.
/// Positions are collateralised by USDC.e, as Polymarket's CTF positions are.
contract SimExchange {
    uint8 internal constant PULL_COLLATERAL = 0;   // pUSD: account -> exchange
    uint8 internal constant PAY_COLLATERAL = 1;    // pUSD: exchange -> account
    uint8 internal constant PULL_POSITION = 2;     // outcome token: account -> exchange
    uint8 internal constant DELIVER_POSITION = 3;  // outcome token: exchange -> account (split if short)
    uint8 internal constant MERGE_HELD = 4;        // merge the exchange's complete sets
    uint8 internal constant PREPARE = 5;           // prepare the condition if needed
    uint8 internal constant REDEEM_FOR = 6;        // auto-redeem an account's positions
    uint8 internal constant FAIL = 7;              // injected failure (simulator fault)

    struct Op {
        uint8 kind;
        address account;
        bytes32 conditionId; // PREPARE: the question id
        uint256 indexSet;    // 1 = outcome 0, 2 = outcome 1
        uint256 amount;      // PREPARE: the outcome slot count
    }

    address public operator;
    IERC20S public pusd;
    IERC20S public usdce;
    ICTF public ctf;

    event Settled(bytes32 indexed ref, uint256 ops);

    function initialize(address _operator, address _pusd, address _usdce, address _ctf)
        external
    {
        require(operator == address(0), "SimExchange: already initialized");
        operator = _operator;
        pusd = IERC20S(_pusd);
        usdce = IERC20S(_usdce);
        ctf = ICTF(_ctf);
        require(usdce.approve(_ctf, type(uint256).max), "SimExchange: approve failed");
    }

    function positionId(bytes32 conditionId, uint256 indexSet) public view returns (uint256) {
        return ctf.getPositionId(address(usdce), ctf.getCollectionId(bytes32(0), conditionId,
                                                                     indexSet));
    }

    function settle(bytes32 ref, Op[] calldata ops) external {
        require(msg.sender == operator, "SimExchange: caller is not the operator");
        for (uint256 i = 0; i < ops.length; i++) {
            _run(ops[i]);
        }
        emit Settled(ref, ops.length);
    }

    function _run(Op calldata op) internal {
        uint8 k = op.kind;
        if (k == PULL_COLLATERAL) {
            require(pusd.transferFrom(op.account, address(this), op.amount),
                    "SimExchange: collateral transfer failed");
        } else if (k == PAY_COLLATERAL) {
            require(pusd.transfer(op.account, op.amount), "SimExchange: payout failed");
        } else if (k == PULL_POSITION) {
            ctf.safeTransferFrom(op.account, address(this), positionId(op.conditionId, op.indexSet),
                                 op.amount, "");
        } else if (k == DELIVER_POSITION) {
            uint256 id = positionId(op.conditionId, op.indexSet);
            uint256 held = ctf.balanceOf(address(this), id);
            if (held < op.amount) {
                ctf.splitPosition(address(usdce), bytes32(0), op.conditionId, _binary(),
                                  op.amount - held);
            }
            ctf.safeTransferFrom(address(this), op.account, id, op.amount, "");
        } else if (k == MERGE_HELD) {
            uint256 a = ctf.balanceOf(address(this), positionId(op.conditionId, 1));
            uint256 b = ctf.balanceOf(address(this), positionId(op.conditionId, 2));
            uint256 m = a < b ? a : b;
            if (m > 0) {
                ctf.mergePositions(address(usdce), bytes32(0), op.conditionId, _binary(), m);
            }
        } else if (k == PREPARE) {
            bytes32 cond = keccak256(abi.encodePacked(op.account, op.conditionId, op.amount));
            if (ctf.getOutcomeSlotCount(cond) == 0) {
                ctf.prepareCondition(op.account, op.conditionId, op.amount);
            }
        } else if (k == REDEEM_FOR) {
            _redeemFor(op.account, op.conditionId);
        } else if (k == FAIL) {
            revert("SimExchange: settlement failure injected");
        } else {
            revert("SimExchange: unknown op");
        }
    }

    /// @dev Auto-redeem (the venue's auto-redeem operator): take the account's outcome
    /// tokens of a resolved condition, redeem everything the exchange holds of it for
    /// USDC.e, and pay the account its share (its tokens x payout) in pUSD.
    function _redeemFor(address account, bytes32 conditionId) internal {
        uint256 den = ctf.payoutDenominator(conditionId);
        require(den > 0, "SimExchange: condition not resolved");
        uint256 payout = 0;
        for (uint256 s = 1; s <= 2; s++) {
            uint256 id = positionId(conditionId, s);
            uint256 bal = ctf.balanceOf(account, id);
            if (bal > 0) {
                ctf.safeTransferFrom(account, address(this), id, bal, "");
                payout += bal * ctf.payoutNumerators(conditionId, s - 1) / den;
            }
        }
        ctf.redeemPositions(address(usdce), bytes32(0), conditionId, _binary());
        if (payout > 0) {
            require(pusd.transfer(account, payout), "SimExchange: redeem payout failed");
        }
    }

    function _binary() internal pure returns (uint256[] memory p) {
        p = new uint256[](2);
        p[0] = 1;
        p[1] = 2;
    }

    function onERC1155Received(address, address, uint256, uint256, bytes calldata)
        external pure returns (bytes4)
    {
        return 0xf23a6e61;
    }

    function onERC1155BatchReceived(address, address, uint256[] calldata, uint256[] calldata,
                                    bytes calldata) external pure returns (bytes4) {
        return 0xbc197c81;
    }
}
