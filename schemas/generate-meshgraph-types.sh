#!/usr/bin/env bash
# Regenerates the TypeScript types for meshgraph's own Kafka messages (schemas/proto/meshgraph).
# The output is committed. Needs protoc (apt-get install protobuf-compiler).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v protoc >/dev/null || { echo "missing protoc: apt-get install protobuf-compiler" >&2; exit 3; }
out=schemas/gen/meshgraph
rm -rf "$out"
mkdir -p "$out"
protoc \
  --plugin=protoc-gen-ts_proto=node_modules/.bin/protoc-gen-ts_proto \
  --ts_proto_out="$out" \
  --ts_proto_opt=esModuleInterop=true,env=node,useOptionals=messages,importSuffix=.js,forceLong=number,outputJsonMethods=false,outputPartialMethods=true,outputServices=false \
  -I schemas/proto \
  $(cd schemas/proto && find meshgraph -name "*.proto" | sort)
echo "generated into $out: $(find "$out" -name '*.ts' | tr '\n' ' ')"
