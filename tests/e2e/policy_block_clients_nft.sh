#!/usr/bin/env bash
# policy_block_clients.sh with the nft backend: the clients4 set of the
# nflogmon table and `nflogmon rules`' clients chains.
BC_BACKEND=nft exec "$(dirname "$0")/policy_block_clients.sh"
