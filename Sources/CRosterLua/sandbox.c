/*
 * sandbox.c: the standard libraries a script gets, and guarded replacements.
 *
 * Which names a script sees is decided in Swift (LuaHost's Sandbox allow-list); this file
 * opens the libraries and replaces the functions whose stock versions are unsafe here:
 *  - setmetatable refuses __gc (finalizers run with no hook, so nothing could stop one);
 *  - xpcall skips its message handler once the run is killed (it would run hookless);
 *  - load accepts text only;
 *  - collectgarbage answers "count" only;
 *  - coroutine.resume and coroutine.wrap track the running thread for the watchdog and
 *    pass a binding's suspension through to the scheduler, so vendor calls work inside
 *    the script's own coroutines; coroutine.close is guarded against nesting (Debian's
 *    5.4.4 overflows the C stack on nested closes);
 *  - string.rep returns "" without looping when the result is empty, and table.move works
 *    in chunks, checking the limits between them (no hook runs inside a C function);
 *  - require finds Lua source through Roster's loader (Swift) and runs it once.
 */
#include "state_internal.h"
#include <lualib.h>
#include <string.h>

/* ---- setmetatable, load, collectgarbage ------------------------------------------ */

static int sandbox_setmetatable(lua_State *L) {
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "setmetatable: __gc metamethods are not allowed in Roster scripts");
        lua_pop(L, 1);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

static int sandbox_load(lua_State *L) {
    int nargs = lua_gettop(L);
    if (nargs > 4) lua_settop(L, nargs = 4);
    if (nargs >= 3 && !lua_isnil(L, 3)) {
        const char *mode = luaL_checkstring(L, 3);
        if (strchr(mode, 'b') != NULL)
            return luaL_error(L, "load: binary chunks are not allowed in Roster scripts");
    }
    if (nargs < 3) lua_settop(L, nargs = 3);
    lua_pushliteral(L, "t");
    lua_replace(L, 3);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, nargs, LUA_MULTRET);
    return lua_gettop(L);
}

/* A kill raises from inside the hook, where Lua has switched hooks off; an xpcall message
 * handler runs before the unwinding turns them back on, so no hook could stop it. Once the
 * run is killed the handler is skipped and the error passes through unchanged. */
static int guarded_message_handler(lua_State *L) {
    if (atomic_load(&roster_S(L)->killed)) return 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int xpcall_finish(lua_State *L, int status, lua_KContext context) {
    (void)status;
    (void)context;
    return lua_gettop(L);
}

static int sandbox_xpcall(lua_State *L) {
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, guarded_message_handler, 1);
    lua_replace(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    /* with a continuation, so that vendor calls inside xpcall can still yield */
    lua_callk(L, lua_gettop(L) - 1, LUA_MULTRET, 0, xpcall_finish);
    return lua_gettop(L);
}

static int sandbox_collectgarbage(lua_State *L) {
    const char *option = luaL_optstring(L, 1, "count");
    if (strcmp(option, "count") != 0)
        return luaL_error(L, "collectgarbage: only \"count\" is allowed in Roster scripts");
    int kilobytes = lua_gc(L, LUA_GCCOUNT);
    int bytes = lua_gc(L, LUA_GCCOUNTB);
    lua_pushnumber(L, (lua_Number)kilobytes + ((lua_Number)bytes / 1024));
    return 1;
}

/* ---- coroutines ------------------------------------------------------------------- */

static char waiting_key; /* registry: weak set of coroutines suspended on a binding */

static void set_waiting(lua_State *L, int co_index, int waiting) {
    co_index = lua_absindex(L, co_index);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &waiting_key);
    lua_pushvalue(L, co_index);
    if (waiting) lua_pushboolean(L, 1); else lua_pushnil(L);
    lua_rawset(L, -3);
    lua_pop(L, 1);
}

static int is_waiting(lua_State *L, int co_index) {
    co_index = lua_absindex(L, co_index);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &waiting_key);
    lua_pushvalue(L, co_index);
    int waiting = lua_rawget(L, -2) != LUA_TNIL;
    lua_pop(L, 2);
    return waiting;
}

int roster_guarded_reset(lua_State *L, lua_State *co) {
    roster_state *s = roster_S(L);
    if (s->close_depth >= ROSTER_MAX_CLOSE_DEPTH)
        return luaL_error(L, "coroutine.close: closes nested more than %d deep", ROSTER_MAX_CLOSE_DEPTH);
    s->close_depth++;
    int status = lua_resetthread(co);
    s->close_depth--;
    return status;
}

enum { MODE_RESUME = 0, MODE_WRAP = 1 };

static int resume_step(lua_State *L, int co_index, int nargs, int mode);

static int resume_continue(lua_State *L, int status, lua_KContext context) {
    (void)status;
    int mode = (int)context;
    /* The scheduler resumed us with the binding's outcome: hand it to the inner thread. */
    int co_index = mode == MODE_RESUME ? 1 : lua_upvalueindex(1);
    int base = mode == MODE_RESUME ? 1 : 0;
    int nargs = lua_gettop(L) - base;
    lua_State *co = lua_tothread(L, co_index);
    set_waiting(L, co_index, 0);
    lua_xmove(L, co, nargs);
    return resume_step(L, co_index, nargs, mode);
}

static int resume_step(lua_State *L, int co_index, int nargs, int mode) {
    lua_State *co = lua_tothread(L, co_index);
    roster_state *s = roster_S(L);
    int nresults = 0;
    int status = roster_resume(co, L, nargs, &nresults);
    if (atomic_load(&s->killed)) return roster_raise_limit(L, s);

    while (status == LUA_YIELD && s->time_slice && !lua_isyieldable(L)) {
        /* A time slice cannot pass through here (we run inside a C function's callback):
         * carry on with the coroutine at once. */
        s->time_slice = 0;
        lua_pop(co, nresults);
        status = roster_resume(co, L, 0, &nresults);
        if (atomic_load(&s->killed)) return roster_raise_limit(L, s);
    }
    if (status == LUA_YIELD && (s->host_suspend || s->time_slice)) {
        /* A binding deeper down is waiting for I/O (or the hook gave the thread back):
         * suspend this thread too, up to the scheduler, which resumes us with the outcome
         * (see resume_continue). */
        if (!lua_isyieldable(L)) {
            s->host_suspend = 0;
            return luaL_error(L, "cannot wait for a vendor call here: the coroutine was resumed "
                                 "from inside a C function (a metamethod, sort or gsub callback)");
        }
        lua_pop(co, nresults);
        set_waiting(L, co_index, 1);
        lua_settop(L, mode == MODE_RESUME ? 1 : 0);
        return lua_yieldk(L, 0, (lua_KContext)mode, resume_continue);
    }

    if (status == LUA_OK || status == LUA_YIELD) {
        if (!lua_checkstack(L, nresults + 1)) {
            lua_pop(co, nresults);
            return luaL_error(L, "too many results to resume");
        }
        if (mode == MODE_RESUME) lua_pushboolean(L, 1);
        lua_xmove(co, L, nresults);
        return nresults + (mode == MODE_RESUME ? 1 : 0);
    }

    if (mode == MODE_RESUME) {
        lua_pushboolean(L, 0);
        lua_xmove(co, L, 1); /* the error object */
        return 2;
    }
    /* wrap: close the dead coroutine (running its __close handlers, whose error wins) and
     * propagate the error with the caller's position, like the stock wrap */
    status = roster_guarded_reset(L, co);
    lua_xmove(co, L, 1);
    if (status != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) {
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
    }
    return lua_error(L);
}

static int prepare_resume(lua_State *L, int co_index, int nargs) {
    lua_State *co = lua_tothread(L, co_index);
    if (is_waiting(L, co_index))
        return luaL_error(L, "cannot resume a coroutine that is waiting for a vendor call");
    if (!lua_checkstack(co, nargs)) return luaL_error(L, "too many arguments to resume");
    int status = lua_status(co);
    if (status == LUA_OK && lua_gettop(co) == 0) return -1; /* dead */
    return 0;
}

static int sandbox_resume(lua_State *L) {
    luaL_argexpected(L, lua_type(L, 1) == LUA_TTHREAD, 1, "coroutine");
    int nargs = lua_gettop(L) - 1;
    if (prepare_resume(L, 1, nargs) < 0) {
        lua_pushboolean(L, 0);
        lua_pushliteral(L, "cannot resume dead coroutine");
        return 2;
    }
    lua_xmove(L, lua_tothread(L, 1), nargs);
    return resume_step(L, 1, nargs, MODE_RESUME);
}

static int wrapped_call(lua_State *L) {
    int nargs = lua_gettop(L);
    if (prepare_resume(L, lua_upvalueindex(1), nargs) < 0)
        return luaL_error(L, "cannot resume dead coroutine");
    lua_xmove(L, lua_tothread(L, lua_upvalueindex(1)), nargs);
    return resume_step(L, lua_upvalueindex(1), nargs, MODE_WRAP);
}

static int sandbox_wrap(lua_State *L) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_State *co = lua_newthread(L);
    lua_pushvalue(L, 1);
    lua_xmove(L, co, 1);
    lua_pushcclosure(L, wrapped_call, 1);
    return 1;
}

static int sandbox_close(lua_State *L) {
    luaL_argexpected(L, lua_type(L, 1) == LUA_TTHREAD, 1, "coroutine");
    lua_State *co = lua_tothread(L, 1);
    if (co == L) return luaL_error(L, "cannot close a running coroutine");
    if (is_waiting(L, 1)) return luaL_error(L, "cannot close a coroutine that is waiting for a vendor call");
    lua_Debug ar;
    if (lua_status(co) == LUA_OK && lua_getstack(co, 0, &ar))
        return luaL_error(L, "cannot close a normal coroutine");
    int status;
    status = roster_guarded_reset(L, co);
    if (status == LUA_OK) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushboolean(L, 0);
    lua_xmove(co, L, 1);
    return 2;
}

/* ---- long loops in C ---------------------------------------------------------------- */

static int sandbox_rep(lua_State *L) {
    size_t length, separator = 0;
    luaL_checklstring(L, 1, &length);
    lua_Integer count = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &separator);
    if (count <= 0 || length + separator == 0) { /* the stock loop would spin on "" */
        lua_pushliteral(L, "");
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

#define MOVE_CHUNK 65536

static void move_chunk(lua_State *L, int dest, lua_Integer from, lua_Integer to, lua_Integer at) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushinteger(L, from);
    lua_pushinteger(L, to);
    lua_pushinteger(L, at);
    lua_pushvalue(L, dest);
    lua_call(L, 5, 0);
    roster_check_limits(L);
}

static int sandbox_move(lua_State *L) {
    lua_Integer f = luaL_checkinteger(L, 2);
    lua_Integer e = luaL_checkinteger(L, 3);
    lua_Integer t = luaL_checkinteger(L, 4);
    int dest = !lua_isnoneornil(L, 5) ? 5 : 1;
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, dest, LUA_TTABLE);
    lua_settop(L, 5);
    if (e >= f) {
        luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
        lua_Integer n = e - f; /* elements beyond the first */
        luaL_argcheck(L, t <= LUA_MAXINTEGER - n, 4, "destination wrap around");
        int forward = t > e || t <= f || (dest != 1 && !lua_compare(L, 1, dest, LUA_OPEQ));
        if (forward) {
            for (lua_Integer i = 0; i <= n; i += MOVE_CHUNK) {
                lua_Integer last = n - i < MOVE_CHUNK - 1 ? n - i : MOVE_CHUNK - 1;
                move_chunk(L, dest, f + i, f + i + last, t + i);
                if (n - i < MOVE_CHUNK) break;
            }
        } else { /* overlapping, moving up: highest chunk first */
            for (lua_Integer i = (n / MOVE_CHUNK) * MOVE_CHUNK; i >= 0; i -= MOVE_CHUNK) {
                lua_Integer last = n - i < MOVE_CHUNK - 1 ? n - i : MOVE_CHUNK - 1;
                move_chunk(L, dest, f + i, f + i + last, t + i);
            }
        }
    }
    lua_pushvalue(L, dest);
    return 1;
}

/* ---- require ---------------------------------------------------------------------- */
/* Upvalues: 1 the loader (a Swift binding: name -> chunk, or nil and a message),
 * 2 the loaded modules, 3 the modules being loaded. The module body runs under a
 * yieldable pcall, so it may call vendors like the script itself. */

static int require_finish(lua_State *L, int status, lua_KContext context) {
    (void)context; /* [name, result or error] */
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    lua_rawset(L, lua_upvalueindex(3));
    if (status != LUA_OK && status != LUA_YIELD) return lua_error(L);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, 1);
    lua_pushvalue(L, -2);
    lua_rawset(L, lua_upvalueindex(2));
    return 1;
}

static int sandbox_require(lua_State *L) {
    luaL_checkstring(L, 1);
    lua_settop(L, 1);
    lua_pushvalue(L, 1);
    if (lua_rawget(L, lua_upvalueindex(2)) != LUA_TNIL) return 1;
    lua_pop(L, 1);
    lua_pushvalue(L, 1);
    if (lua_rawget(L, lua_upvalueindex(3)) != LUA_TNIL)
        return luaL_error(L, "require: module '%s' requires itself", lua_tostring(L, 1));
    lua_pop(L, 1);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_call(L, 1, 2); /* [name, chunk or nil, message] */
    if (lua_isnil(L, 2)) {
        luaL_where(L, 1);
        lua_pushvalue(L, 3);
        lua_concat(L, 2);
        return lua_error(L);
    }
    lua_settop(L, 2);
    lua_pushvalue(L, 1);
    lua_pushboolean(L, 1);
    lua_rawset(L, lua_upvalueindex(3));
    lua_pushvalue(L, 1); /* [name, chunk, name] */
    return require_finish(L, lua_pcallk(L, 1, 1, 0, 0, require_finish), 0);
}

void roster_install_require(lua_State *L) {
    /* [loader] */
    lua_newtable(L);
    lua_newtable(L);
    lua_pushcclosure(L, sandbox_require, 3);
    lua_setglobal(L, "require");
}

/* ---- the string library ------------------------------------------------------------ */

void roster_privatize_string_library(lua_State *L) {
    /* Every string's methods come from the table the (protected) string metatable
     * indexes. The script's global `string` becomes a copy: changing it changes nothing
     * that ("x"):upper() or host code calls. */
    lua_getglobal(L, LUA_STRLIBNAME); /* [lib] */
    lua_newtable(L);                  /* [lib, copy] */
    lua_pushnil(L);
    while (lua_next(L, -3) != 0) {    /* [lib, copy, k, v] */
        lua_pushvalue(L, -2);
        lua_insert(L, -2);            /* [lib, copy, k, k, v] */
        lua_rawset(L, -4);
    }
    lua_setglobal(L, LUA_STRLIBNAME);
    lua_pop(L, 1);
}

/* ---- opening ------------------------------------------------------------------------ */

void roster_open_baseline_libraries(lua_State *L) {
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
    luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 1);
    lua_pop(L, 7);
}

/* Replaces t[name] (t on top) with a C closure over the stock function. */
static void wrap_field(lua_State *L, const char *name, lua_CFunction replacement) {
    lua_getfield(L, -1, name);
    lua_pushcclosure(L, replacement, 1);
    lua_setfield(L, -2, name);
}

void roster_open_sandbox_libraries(lua_State *L) {
    roster_open_baseline_libraries(L);

    lua_newtable(L); /* the weak set of coroutines waiting on a binding */
    lua_newtable(L);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &waiting_key);

    lua_pushglobaltable(L);
    wrap_field(L, "setmetatable", sandbox_setmetatable);
    wrap_field(L, "load", sandbox_load);
    wrap_field(L, "xpcall", sandbox_xpcall);
    lua_pushcfunction(L, sandbox_collectgarbage);
    lua_setfield(L, -2, "collectgarbage");
    lua_pop(L, 1);

    lua_getglobal(L, LUA_COLIBNAME);
    lua_pushcfunction(L, sandbox_resume);
    lua_setfield(L, -2, "resume");
    lua_pushcfunction(L, sandbox_wrap);
    lua_setfield(L, -2, "wrap");
    lua_pushcfunction(L, sandbox_close);
    lua_setfield(L, -2, "close");
    lua_pop(L, 1);

    lua_getglobal(L, LUA_STRLIBNAME);
    wrap_field(L, "rep", sandbox_rep);
    lua_pop(L, 1);

    lua_getglobal(L, LUA_TABLIBNAME);
    wrap_field(L, "move", sandbox_move);
    lua_pop(L, 1);

    /* The string metatable is shared by every string: protect it from getmetatable. */
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}
