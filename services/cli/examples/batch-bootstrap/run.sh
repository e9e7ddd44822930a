#!/bin/sh
# The batch host's whole setup. It holds its NATS identity (the user that may ask for `etl`) and the
# fleet's sealing public key it pins (not a secret), and no AWS identity at all: replies are sealed
# to a fresh X25519 key of each request. The job itself gets none of it, only a loopback endpoint
# and a token that are gone when it ends.
#   NATS_URL, NATS_USER, NATS_PASSWORD          the batch host's NATS identity
#   CREDVEND_TENANT, CREDVEND_PRINCIPAL         who that identity is (acme / demo-app here)
#   CREDVEND_SEALING_PUBLIC_KEY                 the fleet's sealing key, as workers log it
# (A host with a decrypt-only AWS identity sets CREDVEND_REPLY_KEY_ARN and CREDVEND_AWS_PROFILE instead.)
set -eu
exec credvend exec --template etl -- node "$(dirname "$0")/job.js"
