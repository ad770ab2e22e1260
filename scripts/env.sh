# shellcheck shell=bash
# Source this (". scripts/env.sh") after scripts/bootstrap.sh to use the project-local
# toolchain: puts .tools/bin first on PATH and points forge at our solc, so forge never
# tries to download a compiler (foundry.toml also sets offline = true).
if [ -n "${BASH_SOURCE:-}" ]; then
  _zkb_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
elif [ -n "${ZSH_VERSION:-}" ]; then
  # shellcheck disable=SC2296
  _zkb_root="$(cd "$(dirname "${(%):-%x}")/.." && pwd)"
else
  _zkb_root="$(pwd)" # other POSIX shells: source it from the repository root
fi
case ":$PATH:" in
  ":$_zkb_root/.tools/bin:"*) ;;
  *) PATH="$_zkb_root/.tools/bin:$PATH" ;;
esac
export PATH
export FOUNDRY_SOLC="$_zkb_root/.tools/bin/solc"
export FOUNDRY_OFFLINE=true
unset _zkb_root
