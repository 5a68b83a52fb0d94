"""The simulator's local Polygon: py-evm (eth-tester) with chain id 137, the Polymarket
contracts at their real addresses, a JSON-RPC endpoint, a faucet and CLOB settlement."""
