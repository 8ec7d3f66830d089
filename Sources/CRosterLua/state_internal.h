/* state_internal.h: the per-run C state shared by the C files of CRosterLua. */
#ifndef ROSTER_STATE_INTERNAL_H
#define ROSTER_STATE_INTERNAL_H

#include "roster_lua.h"
#include <pthread.h>
#include <stdatomic.h>

struct roster_state {
    lua_State *L;
    void *host;                 /* the Swift run context (unretained) */

    /* allocator */
    size_t used, limit;
    int in_host;                /* nonzero while Swift code runs (a binding call adds one): allocations never fail */
    int over_limit;             /* an allocation in host mode went over the cap */
    int refusal_pending;        /* refused once; a second refusal (after Lua's emergency GC) kills */

    /* limits */
    _Atomic int killed;                 /* roster_limit */
    _Atomic int64_t deadline_ns;        /* monotonic; 0 = none */
    int64_t grace_ns;
    int64_t instruction_budget, instructions_used;
    int close_depth;                    /* nested coroutine.close / wrap resets */
    char watchdog_message[512];
    /* where the kill was first met in Lua code (roster_stop_place); stop_line 0: not yet */
    char stop_source[LUA_IDSIZE];
    int stop_line, stop_depth;

    /* the thread running now, so the watchdog can arm the hook there */
    _Atomic(lua_State *) running;
    _Atomic int executing;              /* resume depth on the owning OS thread */
    _Atomic(pthread_t) exec_thread;

    int host_suspend;                   /* the last yield was a binding's suspension */
    int time_slice;                     /* the last yield was the hook giving the thread back */
    int after_slice;                    /* the hook's next call follows a time slice's yield */
    _Atomic int yield_requested;        /* the watchdog asks the running script to yield */
    _Atomic int64_t slice_start_ns;     /* when the scheduler last resumed this run */

    uint64_t *random_words;             /* math.random's generator state (4 words); NULL: unknown layout */

    roster_state *prev, *next;          /* the watchdog's list */
};

/* Count hook and the instruction-budget step it is installed with. */
#define ROSTER_INSTRUCTION_STEP 10000
/* A run that computes this long without yielding is asked to give its thread back. */
#define ROSTER_TIME_SLICE_NS (20 * 1000 * 1000)
/* Beyond this many nested coroutine closes, raise instead of overflowing the C stack. */
#define ROSTER_MAX_CLOSE_DEPTH 8

/* The Swift entry point every binding call goes through once its arguments have passed the
 * signature (LuaBinding.swift): returns n >= 0 results, ROSTER_RAISE or ROSTER_SUSPEND.
 * `binding` is the signature's Swift binding. Called directly with Swift's own calling
 * convention (clang's swiftcall), so no C-to-Swift thunk sits between. */
__attribute__((swiftcall)) int roster_dispatch(lua_State *L, void *binding);
/* Pushes the message for a call that failed its signature: argument `index` (1-based) has a
 * type the declaration does not accept, or (index 0) there are too many arguments. */
void roster_argument_error(lua_State *L, void *binding, int index);

void roster_hook(lua_State *L, lua_Debug *ar);
/* Arms the hook on `L` so that it raises at the next instruction. */
void roster_arm(lua_State *L);
/* Pushes the kill message and raises it (arming the hook first). Never returns. */
int roster_raise_limit(lua_State *L, roster_state *s);
/* Raises the limit error if the run was killed or its deadline passed (for long C loops). */
void roster_check_limits(lua_State *L);
/* Sets find, match, gmatch and gsub in the string library on top of the stack (patterns.c). */
void roster_install_patterns(lua_State *L);
void roster_watchdog_register(roster_state *s);
void roster_watchdog_unregister(roster_state *s);
/* Resets a dead or suspended coroutine, raising past ROSTER_MAX_CLOSE_DEPTH nestings. */
int roster_guarded_reset(lua_State *L, lua_State *co);

static inline roster_state *roster_S(lua_State *L) {
    return *(roster_state **)lua_getextraspace(L);
}

#endif
