/// ActiveconnectState.swift: Activeconnect applications, their users and devices.

/// One application (tenant) of the Activeconnect Management API.
struct ActiveconnectApplication {
    var secret: String
    var users: [String: ActiveconnectUser]
}

/// A user and the life cycle of their mobile device: a registration link is issued; the
/// control API marks it used (the device is registered); a lost device is disabled and a
/// new link issued.
struct ActiveconnectUser {
    var registeredDevice = false
    var disabledDevices = 0
    var pendingLink: String?
    var linksIssued = 0
    var smsSent: [String] = []
}

/// The emulated vendor's accounts (its `EmulatedAPI.State`).
public struct ActiveconnectState: Sendable {
    var applications: [String: ActiveconnectApplication]

    func dump() -> [String: Any] {
        applications.mapValues { application in
            application.users.mapValues { user in
                ["device_registered": user.registeredDevice, "disabled_devices": user.disabledDevices,
                 "pending_link": user.pendingLink as Any, "sms_sent": user.smsSent] as [String: Any]
            }
        }
    }
}
