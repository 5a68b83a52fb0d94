// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

interface IERC20Like {
    function transferFrom(address from, address to, uint256 value) external returns (bool);
}

interface IPUSD {
    function mint(address to, uint256 value) external;
}

/// @title CollateralOnramp
/// @notice Stand-in for the Collateral Onramp (0x93070a847efEf7F70739046A929D47a521F5B8ee):
/// `wrap(_asset, _to, _amount)` pulls `_amount` of USDC.e from the caller (who must have
/// approved this contract, not pUSD) and mints as much pUSD to `_to`. The admin can pause
/// an asset, after which wrap reverts with OnlyUnpaused() as documented.
contract CollateralOnramp {
    error OnlyUnpaused();
    error UnsupportedAsset();

    address public admin;
    address public usdce;
    address public pusd;
    mapping(address => bool) public paused;

    event Wrapped(address indexed caller, address indexed asset, address indexed to, uint256 amount);

    function initialize(address _admin, address _usdce, address _pusd) external {
        require(admin == address(0), "Onramp: already initialized");
        admin = _admin;
        usdce = _usdce;
        pusd = _pusd;
    }

    function setPaused(address asset, bool value) external {
        require(msg.sender == admin, "Onramp: caller is not the admin");
        paused[asset] = value;
    }

    function wrap(address _asset, address _to, uint256 _amount) external {
        if (_asset != usdce) revert UnsupportedAsset();
        if (paused[_asset]) revert OnlyUnpaused();
        require(IERC20Like(_asset).transferFrom(msg.sender, address(this), _amount),
                "Onramp: transfer failed");
        IPUSD(pusd).mint(_to, _amount);
        emit Wrapped(msg.sender, _asset, _to, _amount);
    }
}
