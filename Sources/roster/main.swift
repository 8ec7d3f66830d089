/// The `roster` executable: a thin entry point over RosterCLI.
import Foundation
import RosterCLI

exit(await Roster.runCommandLine())
