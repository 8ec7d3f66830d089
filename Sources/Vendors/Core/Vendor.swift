/// Vendor.swift: the vendors Roster talks to.

/// The vendors Roster talks to.
public enum Vendor: String, Sendable, CaseIterable {
    case activeconnect, encore, guardant, active911, allthenticate
}
