// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title SimERC20
/// @notice Minimal ERC-20 (6 decimals) for the Polymarket simulator's local chain.
/// The code is placed at the token's real Polygon address through the genesis state,
/// so no constructor runs: `initialize` sets the admin once. The admin is the
/// simulator's faucet: it mints and can set allowances for wallets whose keys the
/// simulator does not hold (accounts file "approved": true). Everything else is a
/// plain ERC-20 that enforces balances and allowances.
abstract contract SimERC20 {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    uint256 public totalSupply;
    address public admin;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    modifier onlyAdmin() {
        require(msg.sender == admin, "SimERC20: caller is not the admin");
        _;
    }

    function name() external pure virtual returns (string memory);

    function symbol() external pure virtual returns (string memory);

    function decimals() external pure returns (uint8) {
        return 6;
    }

    function initialize(address _admin) external virtual {
        require(admin == address(0), "SimERC20: already initialized");
        admin = _admin;
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        _approve(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 current = allowance[from][msg.sender];
        if (current != type(uint256).max) {
            require(current >= value, "ERC20: insufficient allowance");
            allowance[from][msg.sender] = current - value;
        }
        _transfer(from, to, value);
        return true;
    }

    /// @notice Faucet: credit `value` to `to`.
    function adminMint(address to, uint256 value) external onlyAdmin {
        _mint(to, value);
    }

    /// @notice Faucet: set an allowance on behalf of a wallet the simulator funds.
    function adminApprove(address owner, address spender, uint256 value) external onlyAdmin {
        _approve(owner, spender, value);
    }

    function _transfer(address from, address to, uint256 value) internal {
        require(to != address(0), "ERC20: transfer to the zero address");
        uint256 bal = balanceOf[from];
        require(bal >= value, "ERC20: transfer amount exceeds balance");
        unchecked {
            balanceOf[from] = bal - value;
        }
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }

    function _approve(address owner, address spender, uint256 value) internal {
        require(spender != address(0), "ERC20: approve to the zero address");
        allowance[owner][spender] = value;
        emit Approval(owner, spender, value);
    }

    function _mint(address to, uint256 value) internal {
        require(to != address(0), "ERC20: mint to the zero address");
        totalSupply += value;
        balanceOf[to] += value;
        emit Transfer(address(0), to, value);
    }

    function _burn(address from, uint256 value) internal {
        uint256 bal = balanceOf[from];
        require(bal >= value, "ERC20: burn amount exceeds balance");
        unchecked {
            balanceOf[from] = bal - value;
            totalSupply -= value;
        }
        emit Transfer(from, address(0), value);
    }
}
