/*
 * roster_lua.h: the C half of Roster's Lua host.
 *
 * Only what must be C lives here: the trampoline through which every Swift function is
 * called (it raises and yields after the Swift frame is gone), the capped allocator, the
 * limit hook and the watchdog that arms it, protected helpers for the API calls that can
 * raise, and the sandbox's guarded replacements for a few library functions.
 * Swift sees lua_State as an opaque pointer; every symbol is prefixed `roster_`.
 */
#ifndef ROSTER_LUA_H
#define ROSTER_LUA_H

#include <lua5.4/lua.h>
#include <lua5.4/lauxlib.h>
#include <stddef.h>
#include <stdint.h>

/* What a Swift binding asks the trampoline to do once the Swift frame has returned. */
enum {
    ROSTER_RAISE = -1,   /* raise the value on top of the stack */
    ROSTER_SUSPEND = -2, /* yield the coroutine; the scheduler resumes it with the result */
};

/* Which limit ended a run. */
typedef enum {
    ROSTER_LIMIT_NONE = 0,
    ROSTER_LIMIT_TIMEOUT = 1,
    ROSTER_LIMIT_MEMORY = 2,
    ROSTER_LIMIT_INSTRUCTIONS = 3,
    ROSTER_LIMIT_OUTPUT = 4,
    ROSTER_LIMIT_INTERRUPTED = 5, /* Ctrl-C in the REPL: not a limit, but ends a statement the same way */
    ROSTER_LIMIT_PERMISSION = 6,  /* a plugin called outside its manifest: ends the run the same way */
    ROSTER_LIMIT_DECISION = 7,    /* a change of unknown outcome needs the admin's decision */
    ROSTER_LIMIT_JOURNAL = 8,     /* the journal could not be written: nothing more may be sent */
    ROSTER_LIMIT_STALE_PLAN = 9,  /* a saved plan's change differs from what the script now wants */
} roster_limit;

/* Per-run C state: allocator accounting, limits, and the Swift host object. */
typedef struct roster_state roster_state;


/* ---- state ---------------------------------------------------------------------- */
/* A new Lua state with the capped allocator (bytes; 0 means no cap). NULL on failure. */
roster_state *roster_state_open(size_t memory_limit);
void roster_state_close(roster_state *s);
lua_State *roster_state_lua(roster_state *s);
roster_state *roster_state_of(lua_State *L);
void roster_state_set_host(roster_state *s, void *host);
void *roster_state_host(roster_state *s);
size_t roster_memory_used(roster_state *s);

/* Host mode is on whenever Lua is not executing (while Swift code runs): allocations
 * over the cap then succeed but mark the state over its limit, and the memory error is
 * raised from C once Lua runs again. roster_resume and roster_pcall turn it off. */

/* ---- limits ----------------------------------------------------------------------- */
/* Deadline on the monotonic clock in nanoseconds (0: none); grace before the watchdog. */
void roster_set_deadline(roster_state *s, int64_t deadline_ns, int64_t grace_ns);
/* Instruction budget (0: none). Installs a count hook, which costs Debian's Lua 20 to 50 %
 * of its speed; without a budget no hook runs until a limit is hit or a time slice ends. */
void roster_set_instruction_limit(roster_state *s, int64_t budget);
int64_t roster_monotonic_ns(void);
/* Ends the run: every thread of the state raises the limit's error from now on. */
void roster_kill(roster_state *s, roster_limit why);
roster_limit roster_killed(roster_state *s);
/* Where the kill was first met in Lua code, for its message: the innermost Lua line then (0:
 * none noted), its chunk's short source and how many calls deep its thread stood. */
int roster_stop_place(roster_state *s, const char **source, int *depth);
/* Notes the stop place from thread `L`'s stack, unless one is noted (Lua's own memory error,
 * which no kill raised: the failed thread's stack still stands as it failed). */
void roster_note_stop_place(lua_State *L);
/* The message raised inside the script for a kill (registered with each state). */
void roster_set_limit_message(lua_State *L, roster_limit why, const char *message);
/* Watchdog: ends the process with exit code 3 and this message when the run is stuck in C
 * past its deadline plus grace (the hook cannot run inside a C function). */
void roster_set_watchdog_message(roster_state *s, const char *message);

/* ---- calls, resumes, yields --------------------------------------------------------- */
/* One fixed parameter's accepted types: bit t set when lua_type t is accepted (none counts
 * as nil); `integral` when a number must have an integral value. */
typedef struct roster_argument_check {
    uint16_t types;
    uint16_t integral;
} roster_argument_check;

/* A binding's compact signature, checked by the trampoline before any Swift runs, so a
 * call pays for no Swift frame it does not need. Owned by the Swift binding. */
typedef struct roster_binding {
    void *swift;                         /* the Swift binding (unretained; the state keeps it) */
    int maximum_arguments;               /* INT_MAX with a variadic parameter */
    int check_count;
    const roster_argument_check *checks; /* one per fixed parameter */
    int slot;                            /* its C entry point (set by C), or -1: none yet */
} roster_binding;

/* Pushes the function Lua calls for `binding`: it checks a call against the signature, then
 * calls the Swift dispatch. The first push gives the binding a C entry point of its own when
 * one is free (see trampoline.c); release it once no state holds the function any more. */
void roster_push_binding(lua_State *L, roster_binding *binding);
/* Frees the binding's C entry point, after every state that holds its function is closed. */
void roster_release_binding(roster_binding *binding);
/* The Swift binding behind the function at `index`, or NULL for any other value. Never raises. */
void *roster_binding_at(lua_State *L, int index);
/* A session (the REPL) goes on after a statement was stopped: clears the kill, the slice
 * request, the deadline and the allocator's pending refusal. Between statements only. */
void roster_clear_kill(roster_state *s);
/* Enters (1) or leaves (0) host mode, where allocations never fail; returns the old mode.
 * For Swift reading the state between statements (REPL completion). */
int roster_set_host_mode(roster_state *s, int on);
/* A full garbage collection (lua_gc is variadic, which Swift cannot call). */
int roster_full_gc(lua_State *L);
/* Resumes `co`, tracking which thread runs so the watchdog can arm the hook there. */
int roster_resume(lua_State *co, lua_State *from, int nargs, int *nresults);
/* Resets (closes) a coroutine the scheduler abandons, tracked like a resume. */
int roster_reset(lua_State *co);
/* Whether the last yield was a binding's suspension (and clears it). */
int roster_take_suspension(roster_state *s);
/* Whether the last yield was a time slice (the hook gave the thread back); clears it. */
int roster_take_time_slice(roster_state *s);

/* ---- protected helpers: API calls that may raise, run under lua_pcall -------------- */
/* Each returns a lua status; on LUA_OK the result is pushed, else the error value. */
int roster_pgettable(lua_State *L, int index);          /* t[k], k on top; pops k */
int roster_ptostring(lua_State *L, int index);          /* luaL_tolstring with __tostring */
int roster_pcall(lua_State *L, int nargs, int nresults); /* lua_pcall, leaving host mode, tracked under the limits */
/* The script's `string` becomes a copy of the library strings index (after its removals). */
void roster_privatize_string_library(lua_State *L);

/* ---- the sandbox ------------------------------------------------------------------- */
/* Opens the allowed standard libraries into the globals and installs the guarded
 * replacements (setmetatable, load, xpcall, collectgarbage, coroutine.*, string.rep,
 * table.move). */
void roster_open_sandbox_libraries(lua_State *L);
/* Sets the global `require` over a loader function on top of the stack (popped). */
void roster_install_require(lua_State *L);
/* A new thread (pushed) that the script sees as its main coroutine: the scheduler's. */
lua_State *roster_new_host_thread(lua_State *L);
/* The same libraries into a bare state: the baseline of `roster bench`. */
void roster_open_baseline_libraries(lua_State *L);
/* A plain lua_CFunction that does nothing: the baseline of the binding-call benchmark. */
int roster_noop_cfunction(lua_State *L);

/* ---- macros Swift cannot see -------------------------------------------------------- */
int roster_registry_index(void);
void roster_pop(lua_State *L, int n);
int roster_pcall_plain(lua_State *L, int nargs, int nresults, int msgh);
const char *roster_tostring_raw(lua_State *L, int index, size_t *len); /* strings only */
int roster_isinteger_value(lua_State *L, int index, lua_Integer *out);

/* math.randomseed(seed), protected, on a fresh state before any script code. */
void roster_seed_random(lua_State *L, lua_Integer seed);
/* math.random's generator state, four 64-bit words, copied out (`roster_random_get`) and in
 * (`roster_random_set`): the scheduler gives each `parallel` child a stream of its own, so
 * that what a child draws does not depend on the order the vendors answer in. Both return 0
 * when the state's math library keeps its generator in another form (nothing is copied). */
int roster_random_get(roster_state *s, uint64_t words[4]);
int roster_random_set(roster_state *s, const uint64_t words[4]);

/* Pins the state's clock at `now` (Unix seconds): `os.time()` answers it, and `os.date(format)`
 * formats it, in every attempt of a run (a time given as an argument is used as it is). */
void roster_pin_clock(lua_State *L, lua_Integer now);

#endif
