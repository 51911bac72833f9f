#!/usr/bin/env bash
# Reproduces the shipped default head for the embedded model (server/AgNewsLsp.Core/Heads/minilm-default.head.json):
# the default pooling (cls-last4) and head kind (hybrid: the encoder features joined with hashed word and character
# n-grams), seed 42, trained on every train* file of the shared AG News folder (train.csv + train-more.csv:
# 45,578 rows, 10% of them held out for early stopping and the temperature). How the kind was chosen: README, Accuracy.
# bf16 features, as the shipped head was trained: "auto" picks fp32 on processors where bf16 is the slower.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data="${1:-$root/../shared/data/ag_news}"
dotnet run --project "$root/server/AgNewsLsp.Server" -c Release -- train --data "$data" --head-kind hybrid --seed 42 --precision bf16 \
  --out "$root/server/AgNewsLsp.Core/Heads/minilm-default.head.json"
