/*
 * limits.c: the limit hook, kills, and the watchdog.
 *
 * A count hook on every instruction costs Debian's Lua about half its speed, so none is
 * installed by default. Instead one watchdog thread watches every state's deadline; when a
 * run is killed (deadline passed, memory, output, instructions) it signals the OS thread
 * executing that run, and the signal handler arms the hook there with a count of 1 — the
 * way lua.c stops a script on SIGINT. Once armed, the hook raises at every instruction, so
 * neither pcall, coroutine.resume, an error handler nor a __close can keep the run alive.
 * The hook cannot run inside a C function; Roster's own pattern matcher and table functions
 * look at the kill flag as they go, and for anything else, past the deadline plus a grace
 * period, the watchdog ends the process with exit code 3 and a message: the last resort of
 * a one-shot run. A long-lived host sets no grace (-1) and is never ended.
 *
 * The same signal gives time slices: a run that computes for ROSTER_TIME_SLICE_NS without
 * yielding has the hook armed once, and the hook yields its coroutine, so that a few
 * threads can serve many runs even when some of them only compute.
 */
#define _GNU_SOURCE
#include "state_internal.h"
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ROSTER_SIGNAL SIGURG /* ignored by default: a stray one is harmless */
#define WATCHDOG_TICK_NS (10 * 1000 * 1000)

/* The state whose Lua code this OS thread executes now (set by roster_resume). */
static _Thread_local roster_state *tls_executing;

int64_t roster_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* lua_sethook marks every Lua frame of the thread (O(call depth)); a deep recursion that
 * hits the memory limit arms on every refused allocation and at every watchdog signal, so
 * arming what is already armed must cost nothing (frames entered since read the mask). */
void roster_arm(lua_State *L) {
    if (lua_gethook(L) == roster_hook && lua_gethookmask(L) == LUA_MASKCOUNT && lua_gethookcount(L) == 1) return;
    lua_sethook(L, roster_hook, LUA_MASKCOUNT, 1);
}

/* How many calls deep `L` stands: the deepest level lua_getstack reaches, found by doubling
 * then halving (each look walks the levels, and a runaway recursion has 100,000s). */
static int call_depth(lua_State *L) {
    lua_Debug ar;
    if (!lua_getstack(L, 0, &ar)) return 0;
    int low = 0, high = 1; /* level `low` exists; `high` is past the deepest once it does not */
    while (high < INT_MAX / 2 && lua_getstack(L, high, &ar)) {
        low = high;
        high *= 2;
    }
    while (high - low > 1) {
        int middle = low + (high - low) / 2;
        if (lua_getstack(L, middle, &ar)) low = middle;
        else high = middle;
    }
    return low + 1;
}

/* Notes where the run stops, the first time: before a pcall can unwind the place away. It
 * only reads the thread's frames, which stand whole at any allocation (Lua's emergency
 * collection walks them there too), so the allocator may call it; it allocates nothing. */
void roster_note_stop_place(lua_State *L) {
    roster_state *s = roster_S(L);
    if (s->stop_line) return;
    lua_Debug ar;
    for (int level = 0; lua_getstack(L, level, &ar); level++) {
        lua_getinfo(L, "Sl", &ar);
        if (ar.currentline > 0) {
            memcpy(s->stop_source, ar.short_src, sizeof s->stop_source);
            s->stop_depth = call_depth(L);
            s->stop_line = ar.currentline;
            return;
        }
    }
}

int roster_stop_place(roster_state *s, const char **source, int *depth) {
    *source = s->stop_source;
    *depth = s->stop_depth;
    return s->stop_line;
}

void roster_kill(roster_state *s, roster_limit why) {
    int expected = ROSTER_LIMIT_NONE;
    atomic_compare_exchange_strong(&s->killed, &expected, (int)why);
    /* On the executing thread (from the allocator or a binding) arm at once; elsewhere
     * the watchdog signals the executing thread. */
    lua_State *running = atomic_load(&s->running);
    if (running != NULL && tls_executing == s) {
        roster_note_stop_place(running);
        roster_arm(running);
    }
}

roster_limit roster_killed(roster_state *s) { return (roster_limit)atomic_load(&s->killed); }

static char limit_message_keys[ROSTER_LIMIT_STALE_PLAN + 1]; /* registry keys: &limit_message_keys[why] */

void roster_set_limit_message(lua_State *L, roster_limit why, const char *message) {
    lua_pushstring(L, message);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &limit_message_keys[why]);
}

int roster_raise_limit(lua_State *L, roster_state *s) {
    int why = atomic_load(&s->killed);
    roster_note_stop_place(L); /* a kill from another thread (the watchdog's) */
    roster_arm(L);
    /* The message was made when the state was; pushing it allocates nothing. */
    lua_rawgetp(L, LUA_REGISTRYINDEX, &limit_message_keys[why]);
    return lua_error(L);
}

void roster_check_limits(lua_State *L) {
    roster_state *s = roster_S(L);
    int64_t deadline = atomic_load(&s->deadline_ns);
    if (deadline && roster_monotonic_ns() > deadline) roster_kill(s, ROSTER_LIMIT_TIMEOUT);
    if (atomic_load(&s->killed)) roster_raise_limit(L, s);
}

void roster_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    roster_state *s = roster_S(L);
    if (s->after_slice) {
        /* The first call after a time slice's yield: it only disarms (below). */
        s->after_slice = 0;
    } else if (!atomic_load(&s->killed) && s->instruction_budget) {
        s->instructions_used += ROSTER_INSTRUCTION_STEP;
        if (s->instructions_used > s->instruction_budget)
            roster_kill(s, ROSTER_LIMIT_INSTRUCTIONS);
    }
    roster_check_limits(L);
    if (atomic_exchange(&s->yield_requested, 0) && lua_isyieldable(L)) {
        /* Time slice: yield the thread so the scheduler can let other runs use it. The hook
         * stays armed: after a hook yields, Lua skips the hook at the next instruction (its
         * CIST_HOOKYIELD mark), and a kill armed later must not lose an instruction to that
         * skip. The call after that one disarms. Where yielding is impossible (inside a C
         * function's callback) the script simply goes on until the next slice. */
        s->time_slice = 1;
        s->after_slice = 1;
        lua_yield(L, 0); /* in a hook this returns; Lua yields once the hook is done */
        return;
    }
    /* Back to the budget's hook, or none. */
    if (s->instruction_budget) lua_sethook(L, roster_hook, LUA_MASKCOUNT, ROSTER_INSTRUCTION_STEP);
    else lua_sethook(L, NULL, 0, 0);
}

void roster_set_instruction_limit(roster_state *s, int64_t budget) {
    s->instruction_budget = budget;
    /* Threads made later copy the main thread's hook. */
    if (budget > 0) lua_sethook(s->L, roster_hook, LUA_MASKCOUNT, ROSTER_INSTRUCTION_STEP);
}

void roster_set_deadline(roster_state *s, int64_t deadline_ns, int64_t grace_ns) {
    s->grace_ns = grace_ns;
    atomic_store(&s->deadline_ns, deadline_ns);
}

void roster_set_watchdog_message(roster_state *s, const char *message) {
    snprintf(s->watchdog_message, sizeof s->watchdog_message, "%s", message);
}

/* ---- resuming, tracked ------------------------------------------------------------ */

/* What roster_resume saves of the outer execution, to restore when it returns. */
typedef struct {
    roster_state *state;
    lua_State *running;
    int in_host;
} outer_execution;

/* Whether this OS thread accepts the watchdog's signal (threads started by a libdispatch
 * worker inherit a mask that blocks it). */
static _Thread_local int signal_unblocked;

static outer_execution enter_lua(roster_state *s, lua_State *co) {
    if (!signal_unblocked) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, ROSTER_SIGNAL);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
        signal_unblocked = 1;
    }
    outer_execution outer = { tls_executing, atomic_load(&s->running), s->in_host };
    if (s->over_limit) { /* the host pushed past the cap: the memory error comes now */
        s->over_limit = 0;
        roster_kill(s, ROSTER_LIMIT_MEMORY);
    }
    if (outer.state != s) atomic_store(&s->slice_start_ns, roster_monotonic_ns());
    atomic_store(&s->exec_thread, pthread_self());
    atomic_store(&s->running, co);
    tls_executing = s;
    atomic_fetch_add(&s->executing, 1);
    if (atomic_load(&s->killed)) roster_arm(co);
    s->in_host = 0;
    return outer;
}

static void leave_lua(roster_state *s, outer_execution outer) {
    s->in_host = outer.in_host;
    atomic_fetch_sub(&s->executing, 1);
    tls_executing = outer.state;
    atomic_store(&s->running, outer.running);
}

int roster_resume(lua_State *co, lua_State *from, int nargs, int *nresults) {
    roster_state *s = roster_S(co);
    outer_execution outer = enter_lua(s, co);
    int status = lua_resume(co, from, nargs, nresults);
    leave_lua(s, outer);
    return status;
}

/* A metamethod the host calls (tostring of an error value, a field read) is script code:
 * it runs tracked like a resume, so that the deadline and the watchdog reach it. */
int roster_pcall(lua_State *L, int nargs, int nresults) {
    roster_state *s = roster_S(L);
    outer_execution outer = enter_lua(s, L);
    int status = lua_pcall(L, nargs, nresults, 0);
    leave_lua(s, outer);
    return status;
}

int roster_reset(lua_State *co) {
    roster_state *s = roster_S(co);
    outer_execution outer = enter_lua(s, co);
    int status = lua_resetthread(co);
    leave_lua(s, outer);
    return status;
}

int roster_take_suspension(roster_state *s) {
    int suspended = s->host_suspend;
    s->host_suspend = 0;
    return suspended;
}

void roster_clear_kill(roster_state *s) {
    atomic_store(&s->killed, ROSTER_LIMIT_NONE);
    s->stop_line = 0;
    atomic_store(&s->yield_requested, 0);
    atomic_store(&s->deadline_ns, 0);
    s->time_slice = 0;
    s->after_slice = 0;
    s->host_suspend = 0;
    s->refusal_pending = 0;
    s->over_limit = 0;
    s->close_depth = 0;
}

int roster_set_host_mode(roster_state *s, int on) {
    int old = s->in_host;
    s->in_host = on;
    return old;
}

int roster_full_gc(lua_State *L) { return lua_gc(L, LUA_GCCOLLECT); }

int roster_take_time_slice(roster_state *s) {
    int sliced = s->time_slice;
    s->time_slice = 0;
    return sliced;
}

/* ---- the watchdog --------------------------------------------------------------------- */

static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t watch_wake = PTHREAD_COND_INITIALIZER;
static roster_state *watch_list;
static pthread_once_t watch_once = PTHREAD_ONCE_INIT;

static void on_signal(int sig) {
    (void)sig;
    int saved_errno = errno;
    roster_state *s = tls_executing;
    if (s != NULL && (atomic_load(&s->killed) || atomic_load(&s->yield_requested))) {
        lua_State *running = atomic_load(&s->running);
        if (running != NULL) roster_arm(running);
    }
    errno = saved_errno;
}

static void watchdog_fire(roster_state *s) {
    const char *message = s->watchdog_message[0] ? s->watchdog_message
        : "roster: limit: the script ran past its time limit inside a C function and was stopped";
    size_t length = strlen(message);
    ssize_t ignored = write(STDERR_FILENO, message, length);
    ignored = write(STDERR_FILENO, "\n", 1);
    (void)ignored;
    _exit(3);
}

static void *watchdog_main(void *unused) {
    (void)unused;
    /* Linux gives a new thread its creator's name (a Lua thread's); this one has its own. */
    pthread_setname_np(pthread_self(), "roster-watchdog");
    pthread_mutex_lock(&watch_lock);
    for (;;) {
        while (watch_list == NULL) pthread_cond_wait(&watch_wake, &watch_lock);
        int64_t now = roster_monotonic_ns();
        for (roster_state *s = watch_list; s != NULL; s = s->next) {
            int64_t deadline = atomic_load(&s->deadline_ns);
            if (deadline && now > deadline && !atomic_load(&s->killed))
                atomic_store(&s->killed, ROSTER_LIMIT_TIMEOUT);
            if (atomic_load(&s->executing) == 0) continue;
            if (!atomic_load(&s->killed)) {
                if (now - atomic_load(&s->slice_start_ns) > ROSTER_TIME_SLICE_NS &&
                    !atomic_exchange(&s->yield_requested, 1)) {
                    atomic_store(&s->slice_start_ns, now);
                    pthread_kill(atomic_load(&s->exec_thread), ROSTER_SIGNAL);
                }
                continue;
            }
            if (deadline && s->grace_ns >= 0 && now > deadline + s->grace_ns) watchdog_fire(s);
            /* Again each tick: the thread may have switched coroutines since. */
            pthread_kill(atomic_load(&s->exec_thread), ROSTER_SIGNAL);
        }
        struct timespec wake;
        clock_gettime(CLOCK_REALTIME, &wake);
        wake.tv_nsec += WATCHDOG_TICK_NS;
        if (wake.tv_nsec >= 1000000000) { wake.tv_sec += 1; wake.tv_nsec -= 1000000000; }
        pthread_cond_timedwait(&watch_wake, &watch_lock, &wake);
    }
    return NULL;
}

static void watchdog_start(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(ROSTER_SIGNAL, &action, NULL);

    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    pthread_create(&thread, &attributes, watchdog_main, NULL);
    pthread_attr_destroy(&attributes);
}

void roster_watchdog_register(roster_state *s) {
    pthread_once(&watch_once, watchdog_start);
    pthread_mutex_lock(&watch_lock);
    s->prev = NULL;
    s->next = watch_list;
    if (watch_list) watch_list->prev = s;
    watch_list = s;
    pthread_cond_signal(&watch_wake);
    pthread_mutex_unlock(&watch_lock);
}

void roster_watchdog_unregister(roster_state *s) {
    pthread_mutex_lock(&watch_lock);
    if (s->prev) s->prev->next = s->next; else watch_list = s->next;
    if (s->next) s->next->prev = s->prev;
    s->prev = s->next = NULL;
    pthread_mutex_unlock(&watch_lock);
}
