#!/usr/bin/env bash
# The Lua boundary lint (DESIGN invariant 1, PRACTICES 2): Swift code never raises or calls
# Lua unprotected, and only the LuaHost module imports the Lua C API.
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"

status=0
# Calls that longjmp (or may) when made from Swift: they belong in C.
raising='\b(lua_error|luaL_error|luaL_check[a-z_]*|luaL_arg[a-z_]*|luaL_typeerror|lua_call|lua_callk|luaL_checkstack)[[:space:]]*\('
if hits=$(grep -rnE "$raising" --include='*.swift' Sources Tests); then
  echo "Swift code calls a raising Lua API function (raise from C through the trampoline instead):"
  echo "$hits"
  status=1
fi
# Only LuaHost may import the C API.
if hits=$(grep -rnE '^[[:space:]]*(@_implementationOnly[[:space:]]+)?import[[:space:]]+(CLua|CRosterLua)\b' --include='*.swift' Sources Tests | grep -v '^Sources/LuaHost/'); then
  echo "Only Sources/LuaHost may import the Lua C API:"
  echo "$hits"
  status=1
fi
[ "$status" -eq 0 ] && echo "lua boundary: ok (no raising Lua calls in Swift; C API imported only by LuaHost)"
exit "$status"
