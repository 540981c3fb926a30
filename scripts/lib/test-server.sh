# Sourced by scripts that probe a running server (contract.sh,
# schemathesis.sh): builds the release binary and starts it in test mode on a
# fresh SQLite file and a free port. Sets `base` (its URL), `work` (a
# temporary directory, removed at exit) and `pid`; the server's log is
# "$work/server.log".
cargo build --release --locked --bin mainstay
bin="$PWD/target/release/mainstay"
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

(cd "$work" && exec env -i PATH="$PATH" MAINSTAY_ENV=test PORT="$port" HOST=127.0.0.1 \
   DATABASE_URL="sqlite://$work/server.db" RUST_LOG=error "$bin" serve >"$work/server.log" 2>&1) &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -fs "$base/ready" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$base/ready" >/dev/null || { echo "the server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }
