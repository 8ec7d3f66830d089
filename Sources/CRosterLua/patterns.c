/*
 * patterns.c: Lua 5.4's pattern matching (string.find, match, gmatch and gsub), written for
 * Roster so that a match can be stopped.
 *
 * No hook runs inside a C function, and a backtracking pattern such as ".-.-.-.-b" can take
 * exponential time in one call: with the stock matcher a script could spin past every
 * limit, and a long-lived host (the REPL, the plugin test runner) could only be ended from
 * outside. This matcher follows the semantics of the manual (§6.4.1) and looks at the
 * run's kill flag every ROSTER_MATCH_CHECK_EVERY steps; the watchdog sets that flag at the
 * deadline (and an interrupt or any other limit sets it too), so the match ends with the
 * limit's error like any other statement.
 */
#include "state_internal.h"
#include <ctype.h>
#include <string.h>

#define MAX_CAPTURES 32          /* as LUA_MAXCAPTURES */
#define MAX_MATCH_DEPTH 200      /* as MAXCCALLS: nesting of the matcher's recursion */
#define ROSTER_MATCH_CHECK_EVERY 2048
#define ESCAPE '%'
#define SPECIALS "^$*+?.([%-"

enum { CAPTURE_OPEN = -1, CAPTURE_POSITION = -2 };

typedef struct {
    const char *subject;      /* the string matched against */
    const char *subject_end;
    const char *pattern_end;
    lua_State *L;
    roster_state *state;
    int depth_left;           /* recursion the matcher may still use */
    unsigned steps_left;      /* until the next look at the kill flag */
    int captures;             /* how many are open or closed */
    struct {
        const char *start;
        ptrdiff_t length;     /* or CAPTURE_OPEN / CAPTURE_POSITION */
    } capture[MAX_CAPTURES];
} matcher;

static inline unsigned char byte_at(const char *p) { return (unsigned char)*p; }

/* One unit of work: every so often, end the match if the run has been killed. */
static inline void count_step(matcher *m) {
    if (--m->steps_left == 0) {
        m->steps_left = ROSTER_MATCH_CHECK_EVERY;
        if (m->state != NULL && atomic_load(&m->state->killed)) roster_raise_limit(m->L, m->state);
    }
}

static void start_matcher(matcher *m, lua_State *L, const char *s, size_t length, const char *p, size_t pattern_length) {
    m->L = L;
    m->state = roster_S(L);
    m->subject = s;
    m->subject_end = s + length;
    m->pattern_end = p + pattern_length;
    m->steps_left = ROSTER_MATCH_CHECK_EVERY;
}

/* Before each attempt at a new position. */
static void restart_matcher(matcher *m) {
    m->captures = 0;
    m->depth_left = MAX_MATCH_DEPTH;
}

/* ---- single characters -------------------------------------------------------------- */

/* Whether c is in the class named by letter (%a, %d, ...; upper case is the complement),
 * or, for any other letter, is that character itself (%. is a dot). */
static int in_class(int c, int letter) {
    int in;
    switch (tolower(letter)) {
        case 'a': in = isalpha(c); break;
        case 'c': in = iscntrl(c); break;
        case 'd': in = isdigit(c); break;
        case 'g': in = isgraph(c); break;
        case 'l': in = islower(c); break;
        case 'p': in = ispunct(c); break;
        case 's': in = isspace(c); break;
        case 'u': in = isupper(c); break;
        case 'w': in = isalnum(c); break;
        case 'x': in = isxdigit(c); break;
        case 'z': in = c == 0; break; /* deprecated, still in the manual's tests */
        default: return letter == c;
    }
    return isupper(letter) ? !in : in;
}

/* The end of the single-character class starting at p: `x`, `%x` or `[...]`. */
static const char *class_end(matcher *m, const char *p) {
    char c = *p++;
    if (c == ESCAPE) {
        if (p == m->pattern_end) luaL_error(m->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (c == '[') {
        if (*p == '^') p++;
        do { /* the first character is part of the set even when it is ']' */
            if (p == m->pattern_end) luaL_error(m->L, "malformed pattern (missing ']')");
            c = *p++;
            if (c == ESCAPE && p < m->pattern_end) p++; /* %] and the like */
        } while (*p != ']');
        return p + 1;
    }
    return p;
}

/* Whether c is in the set [ ... ] that starts at open and whose ']' is at close. */
static int in_set(int c, const char *open, const char *close) {
    int inside = 1;
    const char *p = open + 1;
    if (*p == '^') {
        inside = 0;
        p++;
    }
    for (; p < close; p++) {
        if (*p == ESCAPE) {
            p++;
            if (in_class(c, byte_at(p))) return inside;
        } else if (p[1] == '-' && p + 2 < close) {
            if (byte_at(p) <= c && c <= byte_at(p + 2)) return inside;
            p += 2;
        } else if (byte_at(p) == c) {
            return inside;
        }
    }
    return !inside;
}

/* Whether the character at s (if any) matches the class from p to its end ep. */
static int matches_one(matcher *m, const char *s, const char *p, const char *ep) {
    if (s >= m->subject_end) return 0;
    int c = byte_at(s);
    switch (*p) {
        case '.': return 1;
        case ESCAPE: return in_class(c, byte_at(p + 1));
        case '[': return in_set(c, p, ep - 1);
        default: return byte_at(p) == c;
    }
}

/* ---- the matcher ---------------------------------------------------------------------- */

static const char *match_here(matcher *m, const char *s, const char *p);

/* %bxy: a balanced run from x to its matching y. */
static const char *match_balanced(matcher *m, const char *s, const char *p) {
    if (p + 1 >= m->pattern_end) luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= m->subject_end || *s != *p) return NULL;
    char open = p[0], close = p[1];
    int depth = 1;
    while (++s < m->subject_end) {
        count_step(m);
        if (*s == close) {
            if (--depth == 0) return s + 1;
        } else if (*s == open) {
            depth++;
        }
    }
    return NULL;
}

/* x* and x+: as many as possible, then fewer until the rest matches. */
static const char *match_greedy(matcher *m, const char *s, const char *p, const char *ep) {
    ptrdiff_t count = 0;
    while (matches_one(m, s + count, p, ep)) {
        count_step(m);
        count++;
    }
    for (; count >= 0; count--) {
        const char *end = match_here(m, s + count, ep + 1);
        if (end != NULL) return end;
    }
    return NULL;
}

/* x-: as few as possible, then more until the rest matches. */
static const char *match_lazy(matcher *m, const char *s, const char *p, const char *ep) {
    for (;;) {
        const char *end = match_here(m, s, ep + 1);
        if (end != NULL) return end;
        if (!matches_one(m, s, p, ep)) return NULL;
        s++;
    }
}

static const char *open_capture(matcher *m, const char *s, const char *p, ptrdiff_t kind) {
    if (m->captures >= MAX_CAPTURES) luaL_error(m->L, "too many captures");
    m->capture[m->captures].start = s;
    m->capture[m->captures].length = kind;
    m->captures++;
    const char *end = match_here(m, s, p);
    if (end == NULL) m->captures--; /* undo */
    return end;
}

static const char *close_capture(matcher *m, const char *s, const char *p) {
    int open = -1;
    for (int i = m->captures - 1; i >= 0; i--) {
        if (m->capture[i].length == CAPTURE_OPEN) {
            open = i;
            break;
        }
    }
    if (open < 0) luaL_error(m->L, "invalid pattern capture");
    m->capture[open].length = s - m->capture[open].start;
    const char *end = match_here(m, s, p);
    if (end == NULL) m->capture[open].length = CAPTURE_OPEN; /* undo */
    return end;
}

/* %1 .. %9: the same text as a closed capture. */
static const char *match_back_reference(matcher *m, const char *s, int digit) {
    int index = digit - '1';
    if (index < 0 || index >= m->captures || m->capture[index].length == CAPTURE_OPEN)
        luaL_error(m->L, "invalid capture index %%%d in pattern", index + 1);
    size_t length = (size_t)m->capture[index].length;
    if ((size_t)(m->subject_end - s) >= length && memcmp(m->capture[index].start, s, length) == 0)
        return s + length;
    return NULL;
}

/* Matches the pattern from p against the subject from s; returns where the match ends, or
 * NULL. Tail positions loop instead of recursing, so that only backtracking uses depth. */
static const char *match_here(matcher *m, const char *s, const char *p) {
    if (m->depth_left-- == 0) luaL_error(m->L, "pattern too complex");
    while (p != m->pattern_end) {
        count_step(m);
        switch (*p) {
            case '(':
                s = p[1] == ')' ? open_capture(m, s, p + 2, CAPTURE_POSITION) : open_capture(m, s, p + 1, CAPTURE_OPEN);
                goto done;
            case ')':
                s = close_capture(m, s, p + 1);
                goto done;
            case '$':
                if (p + 1 != m->pattern_end) break; /* an ordinary character */
                s = s == m->subject_end ? s : NULL;
                goto done;
            case ESCAPE:
                if (p[1] == 'b') {
                    s = match_balanced(m, s, p + 2);
                    if (s == NULL) goto done;
                    p += 4;
                    continue;
                }
                if (p[1] == 'f') {
                    p += 2;
                    if (*p != '[') luaL_error(m->L, "missing '[' after '%%f' in pattern");
                    const char *ep = class_end(m, p);
                    int before = s == m->subject ? '\0' : byte_at(s - 1);
                    int here = s < m->subject_end ? byte_at(s) : '\0';
                    if (!in_set(before, p, ep - 1) && in_set(here, p, ep - 1)) {
                        p = ep;
                        continue;
                    }
                    s = NULL;
                    goto done;
                }
                if (isdigit(byte_at(p + 1))) {
                    s = match_back_reference(m, s, byte_at(p + 1));
                    if (s == NULL) goto done;
                    p += 2;
                    continue;
                }
                break; /* %a and the like: a single-character class */
            default:
                break;
        }
        /* A single-character class, perhaps with a quantifier after it. */
        const char *ep = class_end(m, p);
        char quantifier = ep < m->pattern_end ? *ep : '\0';
        if (!matches_one(m, s, p, ep)) {
            if (quantifier == '*' || quantifier == '?' || quantifier == '-') { /* zero is enough */
                p = ep + 1;
                continue;
            }
            s = NULL;
            goto done;
        }
        switch (quantifier) {
            case '?': {
                const char *end = match_here(m, s + 1, ep + 1);
                if (end != NULL) {
                    s = end;
                    goto done;
                }
                p = ep + 1;
                continue;
            }
            case '+': s = match_greedy(m, s + 1, p, ep); goto done;
            case '*': s = match_greedy(m, s, p, ep); goto done;
            case '-': s = match_lazy(m, s, p, ep); goto done;
            default:
                s++;
                p = ep;
                continue;
        }
    }
done:
    m->depth_left++;
    return s;
}

/* ---- captures as values ------------------------------------------------------------------ */

/* Pushes capture i; with no captures at all, capture 0 is the whole match s..e. */
static void push_capture(matcher *m, int i, const char *s, const char *e) {
    if (i >= m->captures) {
        if (i != 0) luaL_error(m->L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(m->L, s, (size_t)(e - s));
        return;
    }
    ptrdiff_t length = m->capture[i].length;
    if (length == CAPTURE_OPEN) luaL_error(m->L, "unfinished capture");
    if (length == CAPTURE_POSITION) lua_pushinteger(m->L, (m->capture[i].start - m->subject) + 1);
    else lua_pushlstring(m->L, m->capture[i].start, (size_t)length);
}

/* Pushes every capture (or the whole match when s is given and there are none). */
static int push_captures(matcher *m, const char *s, const char *e) {
    int count = (m->captures == 0 && s != NULL) ? 1 : m->captures;
    luaL_checkstack(m->L, count, "too many captures");
    for (int i = 0; i < count; i++) push_capture(m, i, s, e);
    return count;
}

/* ---- find, match, gmatch, gsub -------------------------------------------------------------- */

/* A 1-based start position from an argument that may count from the end. */
static size_t start_position(lua_Integer position, size_t length) {
    if (position > 0) return (size_t)position;
    if (position == 0) return 1;
    if (position < -(lua_Integer)length) return 1;
    return length + (size_t)position + 1;
}

static int has_specials(const char *p, size_t length) {
    for (size_t i = 0; i < length; i++)
        if (p[i] != '\0' && strchr(SPECIALS, p[i]) != NULL) return 1;
    return 0;
}

/* Plain search for needle in haystack. */
static const char *find_plain(const char *haystack, size_t length, const char *needle, size_t needle_length) {
    if (needle_length == 0) return haystack;
    if (needle_length > length) return NULL;
    const char *last = haystack + (length - needle_length);
    for (const char *s = haystack; s <= last; s++) {
        s = memchr(s, needle[0], (size_t)(last - s) + 1);
        if (s == NULL) return NULL;
        if (memcmp(s + 1, needle + 1, needle_length - 1) == 0) return s;
    }
    return NULL;
}

static int find_or_match(lua_State *L, int find) {
    size_t length, pattern_length;
    const char *s = luaL_checklstring(L, 1, &length);
    const char *p = luaL_checklstring(L, 2, &pattern_length);
    size_t init = start_position(luaL_optinteger(L, 3, 1), length);
    if (init > length + 1) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || !has_specials(p, pattern_length))) {
        const char *at = find_plain(s + init - 1, length - init + 1, p, pattern_length);
        if (at != NULL) {
            lua_pushinteger(L, (at - s) + 1);
            lua_pushinteger(L, (lua_Integer)((at - s) + pattern_length));
            return 2;
        }
        luaL_pushfail(L);
        return 1;
    }
    int anchored = *p == '^';
    if (anchored) {
        p++;
        pattern_length--;
    }
    matcher m;
    start_matcher(&m, L, s, length, p, pattern_length);
    const char *from = s + init - 1;
    do {
        restart_matcher(&m);
        const char *end = match_here(&m, from, p);
        if (end != NULL) {
            if (!find) return push_captures(&m, from, end);
            lua_pushinteger(L, (from - s) + 1);
            lua_pushinteger(L, end - s);
            return push_captures(&m, NULL, NULL) + 2;
        }
    } while (from++ < m.subject_end && !anchored);
    luaL_pushfail(L);
    return 1;
}

static int roster_string_find(lua_State *L) { return find_or_match(L, 1); }
static int roster_string_match(lua_State *L) { return find_or_match(L, 0); }

/* gmatch's iterator state; its upvalues keep the subject and pattern alive. */
typedef struct {
    const char *next;        /* where the next search starts */
    const char *pattern;
    const char *last_match;  /* the end of the last match: an empty match there is skipped */
    matcher m;
} gmatch_state;

static int gmatch_next(lua_State *L) {
    gmatch_state *g = lua_touserdata(L, lua_upvalueindex(3));
    g->m.L = L; /* the iterator may be called from another coroutine */
    for (const char *from = g->next; from <= g->m.subject_end; from++) {
        restart_matcher(&g->m);
        const char *end = match_here(&g->m, from, g->pattern);
        if (end != NULL && end != g->last_match) {
            g->next = g->last_match = end;
            return push_captures(&g->m, from, end);
        }
    }
    return 0;
}

static int roster_string_gmatch(lua_State *L) {
    size_t length, pattern_length;
    const char *s = luaL_checklstring(L, 1, &length);
    const char *p = luaL_checklstring(L, 2, &pattern_length);
    size_t init = start_position(luaL_optinteger(L, 3, 1), length) - 1;
    lua_settop(L, 2);
    gmatch_state *g = lua_newuserdatauv(L, sizeof *g, 0);
    if (init > length) init = length + 1; /* past the end: nothing to find */
    start_matcher(&g->m, L, s, length, p, pattern_length);
    g->next = s + init;
    g->pattern = p;
    g->last_match = NULL;
    lua_pushcclosure(L, gmatch_next, 3);
    return 1;
}

/* A string replacement: %0..%9 are captures, %% a percent sign. */
static void add_replacement_text(matcher *m, luaL_Buffer *b, const char *s, const char *e) {
    lua_State *L = m->L;
    size_t length;
    const char *text = lua_tolstring(L, 3, &length);
    const char *escape;
    while ((escape = memchr(text, ESCAPE, length)) != NULL) {
        luaL_addlstring(b, text, (size_t)(escape - text));
        escape++; /* the character after '%' (the string's terminator at its end) */
        if (*escape == ESCAPE) {
            luaL_addchar(b, ESCAPE);
        } else if (isdigit(byte_at(escape))) {
            if (*escape == '0') {
                luaL_addlstring(b, s, (size_t)(e - s));
            } else {
                push_capture(m, *escape - '1', s, e);
                luaL_tolstring(L, -1, NULL); /* a position capture is a number */
                lua_remove(L, -2);
                luaL_addvalue(b);
            }
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", ESCAPE);
        }
        length -= (size_t)(escape + 1 - text);
        text = escape + 1;
    }
    luaL_addlstring(b, text, length);
}

/* Adds the replacement for the match s..e; returns whether the text changed. */
static int add_replacement(matcher *m, luaL_Buffer *b, const char *s, const char *e, int kind) {
    lua_State *L = m->L;
    switch (kind) {
        case LUA_TFUNCTION: {
            lua_pushvalue(L, 3);
            int count = push_captures(m, s, e);
            lua_call(L, count, 1);
            break;
        }
        case LUA_TTABLE:
            push_capture(m, 0, s, e);
            lua_gettable(L, 3);
            break;
        default:
            add_replacement_text(m, b, s, e);
            return 1;
    }
    if (!lua_toboolean(L, -1)) { /* nil or false: keep the original text */
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

static int roster_string_gsub(lua_State *L) {
    size_t length, pattern_length;
    const char *s = luaL_checklstring(L, 1, &length);
    const char *p = luaL_checklstring(L, 2, &pattern_length);
    int kind = lua_type(L, 3);
    lua_Integer most = luaL_optinteger(L, 4, (lua_Integer)length + 1);
    luaL_argexpected(L, kind == LUA_TNUMBER || kind == LUA_TSTRING || kind == LUA_TFUNCTION || kind == LUA_TTABLE, 3,
                     "string/function/table");
    int anchored = *p == '^';
    if (anchored) {
        p++;
        pattern_length--;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    matcher m;
    start_matcher(&m, L, s, length, p, pattern_length);
    const char *last_match = NULL;
    lua_Integer count = 0;
    int changed = 0;
    while (count < most) {
        restart_matcher(&m);
        const char *end = match_here(&m, s, p);
        if (end != NULL && end != last_match) {
            count++;
            changed |= add_replacement(&m, &b, s, end, kind);
            s = last_match = end;
        } else if (s < m.subject_end) {
            luaL_addchar(&b, *s++);
        } else {
            break;
        }
        if (anchored) break;
    }
    if (!changed) {
        lua_pushvalue(L, 1); /* the subject itself */
    } else {
        luaL_addlstring(&b, s, (size_t)(m.subject_end - s));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, count);
    return 2;
}

void roster_install_patterns(lua_State *L) {
    /* [string library] */
    static const luaL_Reg functions[] = {
        {"find", roster_string_find}, {"match", roster_string_match},
        {"gmatch", roster_string_gmatch}, {"gsub", roster_string_gsub}, {NULL, NULL},
    };
    luaL_setfuncs(L, functions, 0);
}
