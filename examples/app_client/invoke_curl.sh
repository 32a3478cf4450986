#!/usr/bin/env bash
# Score one customer with curl alone: curl signs the request with AWS Signature Version 4.
#
#   eval "$(tsukuru env)"                        # AWS_ENDPOINT_URL, AWS_REGION and the keys
#   examples/app_client/invoke_curl.sh [ENDPOINT] [FEATURES]
#
# ENDPOINT defaults to bank-marketing. FEATURES is the model's input, 64 comma-separated
# numbers; without it the script asks examples/app_client/customer.py for the default customer
# (`python examples/app_client/customer.py --age 35 --job student` prints another one).
# Needs curl 7.75 or newer (--aws-sigv4). Prints the probability that the customer subscribes.
set -euo pipefail

endpoint="${1:-bank-marketing}"
features="${2:-}"
if [[ -z "$features" ]]; then
    here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
    features="$("${PYTHON:-python3}" "$here/customer.py")"
fi
: "${AWS_ENDPOINT_URL:?run eval \"\$(tsukuru env)\" first}"
: "${AWS_ACCESS_KEY_ID:?run eval \"\$(tsukuru env)\" first}"
: "${AWS_SECRET_ACCESS_KEY:?run eval \"\$(tsukuru env)\" first}"
region="${AWS_REGION:-${AWS_DEFAULT_REGION:-us-east-1}}"

# --aws-sigv4 "aws:amz:REGION:SERVICE": the runtime API signs as service "sagemaker".
# On an error (--fail-with-body) the platform's explanation goes to stderr.
if answer="$(curl --silent --show-error --fail-with-body \
    --aws-sigv4 "aws:amz:${region}:sagemaker" \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -H "Content-Type: text/csv" \
    -H "Accept: text/csv" \
    --data-binary "$features" \
    "$AWS_ENDPOINT_URL/endpoints/$endpoint/invocations")"; then
    printf '%s\n' "$answer"
else
    status=$?
    printf '%s\n' "$answer" >&2
    exit "$status"
fi
