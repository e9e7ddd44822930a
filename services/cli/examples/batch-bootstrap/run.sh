#!/bin/sh
# The batch host's whole setup. It holds its NATS identity (the user that may ask for `etl`), the
# reply key it pins, and the identity that may only KMS-decrypt its own replies; the job itself gets
# none of them, only a loopback endpoint and a token that are gone when it ends.
#   NATS_URL, NATS_USER, NATS_PASSWORD          the batch host's NATS identity
#   CREDVEND_TENANT, CREDVEND_PRINCIPAL         who that identity is (acme / demo-app here)
#   CREDVEND_REPLY_KEY_ARN                      the workers' reply key
#   CREDVEND_AWS_PROFILE (or _ACCESS_KEY_ID...) the decrypt-only identity
set -eu
exec credvend exec --template etl -- node "$(dirname "$0")/job.js"
