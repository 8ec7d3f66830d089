/*
 * trampoline.c: how Lua calls Swift, and the protected helpers.
 *
 * Every Swift function Lua can call is a plain C function bound to a slot that holds the
 * binding's signature (or, when no slot is free, a C closure over it). The Swift side
 * returns an outcome code instead of raising or yielding itself; the trampoline acts on it
 * only after the Swift frame is gone, so no longjmp ever crosses Swift code.
 */
#include "state_internal.h"

/* The scheduler resumes a suspended binding with (true, results...) or (false, error). */
static int binding_continue(lua_State *L, int status, lua_KContext context) {
    (void)status;
    (void)context;
    roster_state *s = roster_S(L);
    if (atomic_load(&s->killed)) return roster_raise_limit(L, s);
    if (!lua_toboolean(L, 1)) {
        lua_settop(L, 2);
        return lua_error(L);
    }
    return lua_gettop(L) - 1;
}

/* Whether argument `index` is of a type the check accepts. */
static inline int accepts(lua_State *L, int index, roster_argument_check check) {
    int type = lua_type(L, index);
    if (type < LUA_TNIL) type = LUA_TNIL; /* none counts as nil */
    if (!(check.types & (1u << type))) return 0;
    if (type == LUA_TNUMBER && check.integral && !lua_isinteger(L, index)) {
        int integral = 0;
        (void)lua_tointegerx(L, index, &integral); /* a float converts only when exact */
        return integral;
    }
    return 1;
}

/* Swift (`roster_dispatch`, `roster_argument_error`) runs in host mode: its allocations
 * never fail; one over the cap ends the run once Lua runs again. A call enters it by adding
 * one to `in_host` and leaves by taking it back, so nothing needs keeping across the call. */
static inline int leave_host(roster_state *s) {
    s->in_host--;
    if (s->over_limit && !s->in_host) {
        s->over_limit = 0;
        roster_kill(s, ROSTER_LIMIT_MEMORY);
    }
    return atomic_load(&s->killed);
}

/* The first fixed argument the signature refuses (1-based), or 0 when all pass. Out of
 * line, like the raise: a binding without fixed parameters never calls it. */
static __attribute__((noinline)) int refused_argument(lua_State *L, const roster_binding *b) {
    for (int i = 0; i < b->check_count; i++)
        if (!accepts(L, i + 1, b->checks[i])) return i + 1;
    return 0;
}

/* Raises the message for argument `index` (0: too many arguments). Out of line, so the
 * trampoline's common path stays a few instructions. */
static __attribute__((noinline)) int raise_argument_error(lua_State *L, const roster_binding *b, int index) {
    roster_state *s = roster_S(L);
    s->in_host++;
    roster_argument_error(L, b->swift, index);
    if (leave_host(s)) return roster_raise_limit(L, s);
    return lua_error(L);
}

/* After the Swift frame is gone: a limit hit meanwhile, an error to raise, or a suspension. */
static __attribute__((noinline)) int act_on_outcome(lua_State *L, roster_state *s, int outcome) {
    if (leave_host(s)) return roster_raise_limit(L, s);
    if (outcome >= 0) return outcome;
    if (outcome == ROSTER_RAISE) return lua_error(L);
    /* ROSTER_SUSPEND: the Swift side checked that this thread can yield. */
    lua_settop(L, 0);
    s->host_suspend = 1;
    return lua_yieldk(L, 0, 0, binding_continue);
}

/* A call whose binding is known: check the arguments against its signature, run the Swift
 * side in host mode, then act on its outcome. */
static int call_binding(lua_State *L, const roster_binding *b) {
    if (lua_gettop(L) > b->maximum_arguments) return raise_argument_error(L, b, 0);
    if (b->check_count > 0) {
        int refused = refused_argument(L, b);
        if (refused) return raise_argument_error(L, b, refused);
    }
    roster_S(L)->in_host++;
    int outcome = roster_dispatch(L, b->swift);
    roster_state *s = roster_S(L); /* read again: one register less kept across the call */
    if (__builtin_expect(outcome < 0 || s->over_limit || atomic_load(&s->killed), 0))
        return act_on_outcome(L, s, outcome);
    s->in_host--;
    return outcome;
}

/* ---- how Lua reaches a binding ------------------------------------------------------
 * A binding's function is one of a fixed set of plain C functions, each bound at compile
 * time to a slot holding a copy of one binding's signature: a call then costs a jump, where
 * a C closure's upvalue costs a lua_touserdata (a quarter of the call's overhead). When
 * every slot is taken (many states alive in one process) a binding falls back to a C
 * closure over its signature, which behaves the same. */

#define ROSTER_BINDING_SLOTS 1024

static roster_binding slot_signatures[ROSTER_BINDING_SLOTS];
static int slot_next_free[ROSTER_BINDING_SLOTS]; /* the free list's links */
static int slot_first_free = -1, slot_never_used = 0;
static pthread_mutex_t slot_lock = PTHREAD_MUTEX_INITIALIZER;

/* Slot functions slot_<base-4 digits>, defined and listed by the same expansion, so that the
 * function at position i of `slot_functions` is the one reading slot i. */
#define SLOTS_4(M, n, i) M(n##0, 4 * (i)) M(n##1, 4 * (i) + 1) M(n##2, 4 * (i) + 2) M(n##3, 4 * (i) + 3)
#define SLOTS_16(M, n, i) SLOTS_4(M, n##0, 4 * (i)) SLOTS_4(M, n##1, 4 * (i) + 1) \
    SLOTS_4(M, n##2, 4 * (i) + 2) SLOTS_4(M, n##3, 4 * (i) + 3)
#define SLOTS_64(M, n, i) SLOTS_16(M, n##0, 4 * (i)) SLOTS_16(M, n##1, 4 * (i) + 1) \
    SLOTS_16(M, n##2, 4 * (i) + 2) SLOTS_16(M, n##3, 4 * (i) + 3)
#define SLOTS_256(M, n, i) SLOTS_64(M, n##0, 4 * (i)) SLOTS_64(M, n##1, 4 * (i) + 1) \
    SLOTS_64(M, n##2, 4 * (i) + 2) SLOTS_64(M, n##3, 4 * (i) + 3)
#define SLOTS_1024(M, n, i) SLOTS_256(M, n##0, 4 * (i)) SLOTS_256(M, n##1, 4 * (i) + 1) \
    SLOTS_256(M, n##2, 4 * (i) + 2) SLOTS_256(M, n##3, 4 * (i) + 3)

#define DEFINE_SLOT(name, index) \
    static int name(lua_State *L) { return call_binding(L, &slot_signatures[index]); }
#define LIST_SLOT(name, index) name,

SLOTS_1024(DEFINE_SLOT, slot_, 0)
static const lua_CFunction slot_functions[ROSTER_BINDING_SLOTS] = { SLOTS_1024(LIST_SLOT, slot_, 0) };
_Static_assert(sizeof slot_functions / sizeof slot_functions[0] == ROSTER_BINDING_SLOTS,
               "one slot function per slot");

/* A free slot (taken), or -1 when all are in use. */
static int claim_slot(void) {
    pthread_mutex_lock(&slot_lock);
    int slot = slot_first_free;
    if (slot >= 0) slot_first_free = slot_next_free[slot];
    else if (slot_never_used < ROSTER_BINDING_SLOTS) slot = slot_never_used++;
    pthread_mutex_unlock(&slot_lock);
    return slot;
}

/* The fallback: a C closure over the signature, for when no slot is free. */
static int trampoline(lua_State *L) {
    return call_binding(L, lua_touserdata(L, lua_upvalueindex(1)));
}

void roster_push_binding(lua_State *L, roster_binding *binding) {
    if (binding->slot < 0) {
        binding->slot = claim_slot();
        if (binding->slot >= 0) slot_signatures[binding->slot] = *binding;
    }
    if (binding->slot >= 0) {
        lua_pushcfunction(L, slot_functions[binding->slot]);
    } else {
        lua_pushlightuserdata(L, binding);
        lua_pushcclosure(L, trampoline, 1);
    }
}

void roster_release_binding(roster_binding *binding) {
    int slot = binding->slot;
    if (slot < 0) return;
    binding->slot = -1;
    pthread_mutex_lock(&slot_lock);
    slot_signatures[slot] = (roster_binding){0};
    slot_next_free[slot] = slot_first_free;
    slot_first_free = slot;
    pthread_mutex_unlock(&slot_lock);
}

void *roster_binding_at(lua_State *L, int index) {
    lua_CFunction function = lua_tocfunction(L, index);
    if (function == NULL) return NULL;
    if (function == trampoline) {
        if (lua_getupvalue(L, index, 1) == NULL) return NULL;
        const roster_binding *binding = lua_touserdata(L, -1);
        lua_pop(L, 1);
        return binding ? binding->swift : NULL;
    }
    /* The value holds its slot: the slot stays this binding's while the state lives. */
    for (int slot = 0; slot < ROSTER_BINDING_SLOTS; slot++)
        if (slot_functions[slot] == function) return slot_signatures[slot].swift;
    return NULL;
}

int roster_noop_cfunction(lua_State *L) {
    (void)L;
    return 0;
}

/* ---- protected helpers ----------------------------------------------------------- */

/* roster_pcall is in limits.c: it runs Lua as a tracked execution, under the limits. */

static int gettable_unprotected(lua_State *L) { /* [t, k] */
    lua_gettable(L, 1);
    return 1;
}

int roster_pgettable(lua_State *L, int index) {
    index = lua_absindex(L, index);
    lua_pushcfunction(L, gettable_unprotected); /* [k, f] */
    lua_pushvalue(L, index);                    /* [k, f, t] */
    lua_rotate(L, -3, -1);                      /* [f, t, k] */
    return roster_pcall(L, 2, 1);               /* [v] or [error] */
}

static int tostring_unprotected(lua_State *L) {
    luaL_tolstring(L, 1, NULL);
    return 1;
}

int roster_ptostring(lua_State *L, int index) {
    index = lua_absindex(L, index);
    lua_pushcfunction(L, tostring_unprotected);
    lua_pushvalue(L, index);
    return roster_pcall(L, 1, 1);
}
