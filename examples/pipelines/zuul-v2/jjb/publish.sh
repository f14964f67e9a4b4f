#!/bin/bash
# Runs after merge only (postmerge): the token it uses is bound by the job.
set -euo pipefail
npm ci
npm publish --//registry.npmjs.org/:_authToken="${NPM_TOKEN}"
