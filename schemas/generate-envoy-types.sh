#!/usr/bin/env bash
# Regenerates the TypeScript types for the Envoy APIs meshgraph speaks (xDS, the resources it
# serves, access-log service) from the protos shipped in @grpc/grpc-js-xds (deps/).
# The output is committed; run this only after changing the list below or upgrading that package.
# Needs: protoc and the well-known types (apt-get install protobuf-compiler libprotobuf-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

deps=node_modules/@grpc/grpc-js-xds/deps
out=schemas/gen/envoy
wkt=$(dirname "$(dirname "$(dirname "$(find /usr/include -path '*/google/protobuf/any.proto' | head -n1)")")")
[ -f "$wkt/google/protobuf/any.proto" ] || { echo "missing the protobuf well-known types: apt-get install libprotobuf-dev" >&2; exit 3; }
command -v protoc >/dev/null || { echo "missing protoc: apt-get install protobuf-compiler" >&2; exit 3; }

# Only the entry points; protoc follows their imports.
protos=(
  envoy/service/discovery/v3/ads.proto
  envoy/config/listener/v3/listener.proto
  envoy/config/route/v3/route.proto
  envoy/config/cluster/v3/cluster.proto
  envoy/config/endpoint/v3/endpoint.proto
  envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto
  envoy/extensions/filters/http/router/v3/router.proto
  envoy/extensions/upstreams/http/v3/http_protocol_options.proto
  envoy/extensions/access_loggers/grpc/v3/als.proto
  envoy/service/accesslog/v3/als.proto
)

# The vendored protoc-gen-validate predates options Envoy's protos use (`ignore_empty`). protobufjs
# ignores options, protoc does not: use a copy with the missing fields added (same numbers as
# upstream protoc-gen-validate). Validation rules are not generated into TypeScript anyway.
shim=$(mktemp -d)
trap 'rm -rf "$shim"' EXIT
mkdir -p "$shim/validate"
awk '
  { print }
  /^message (Float|Double|Int32|Int64|UInt32|UInt64|SInt32|SInt64|Fixed32|Fixed64|SFixed32|SFixed64)Rules \{/ { print "    optional bool ignore_empty = 8;" }
  /^message StringRules \{/ { print "    optional bool ignore_empty = 26;" }
  /^message BytesRules \{/ { print "    optional bool ignore_empty = 14;" }
  /^message RepeatedRules \{/ { print "    optional bool ignore_empty = 5;" }
  /^message MapRules \{/ { print "    optional bool ignore_empty = 6;" }
' "$deps/protoc-gen-validate/validate/validate.proto" >"$shim/validate/validate.proto"

rm -rf "$out"
mkdir -p "$out"
protoc \
  --plugin=protoc-gen-ts_proto=node_modules/.bin/protoc-gen-ts_proto \
  --ts_proto_out="$out" \
  --ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,env=node,useOptionals=messages,importSuffix=.js,forceLong=number,outputJsonMethods=false,outputPartialMethods=true,useDate=false,unrecognizedEnum=false \
  -I "$deps/envoy-api" -I "$deps/xds" -I "$deps/googleapis" -I "$shim" -I "$wkt" \
  "${protos[@]}"
echo "generated $(find "$out" -name '*.ts' | wc -l) files, $(cat $(find "$out" -name '*.ts') | wc -l) lines into $out"
