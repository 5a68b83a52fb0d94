// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {SimERC20} from "./SimERC20.sol";

/// @title USDCe
/// @notice Stand-in for bridged USDC.e on Polygon (0x2791Bca1f2de4661ED88A30C99A7a9449Aa84174):
/// name, symbol and decimals as on chain; minted only by the simulator's faucet.
contract USDCe is SimERC20 {
    function name() external pure override returns (string memory) {
        return "USD Coin (PoS)";
    }

    function symbol() external pure override returns (string memory) {
        return "USDC";
    }
}

/// @title PolymarketUSD
/// @notice Stand-in for pUSD (0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB): a plain ERC-20
/// minted by the Collateral Onramp when USDC.e is wrapped (and by the faucet).
contract PolymarketUSD is SimERC20 {
    address public onramp;

    function name() external pure override returns (string memory) {
        return "Polymarket USD";
    }

    function symbol() external pure override returns (string memory) {
        return "pUSD";
    }

    function setOnramp(address _onramp) external onlyAdmin {
        onramp = _onramp;
    }

    function mint(address to, uint256 value) external {
        require(msg.sender == onramp || msg.sender == admin, "pUSD: caller is not a minter");
        _mint(to, value);
    }
}
