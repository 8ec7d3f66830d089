/* libedit's readline-compatible API (Debian libedit-dev): line editing, history and
 * completion for `roster repl`. */
#include <stdio.h>
#include <editline/readline.h>
