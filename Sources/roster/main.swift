/// The `roster` executable: a thin entry point over RosterCLI.
import RosterCLI

Roster.runCommandLineAndExit()
