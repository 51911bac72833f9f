#!/usr/bin/env bash
# Reproduces the shipped default head for the embedded model (server/AgNewsLsp.Core/Heads/minilm-default.head.json):
# the default pooling and a linear head, seed 42, trained on the shared AG News train rows.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${1:-$root/../shared/data/ag_news}"
dotnet run --project "$root/server/AgNewsLsp.Server" -c Release -- train --data "$data" --seed 42 \
  --out "$root/server/AgNewsLsp.Core/Heads/minilm-default.head.json"
