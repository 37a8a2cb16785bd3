import ArgumentParser
import CutlineContracts
import CutlineCore
import CutlineGatewayApp
import CutlineJobStore
import CutlineMediaProcessorApp
import CutlineOutbox
import CutlineRPC
import CutlineSQLite
import CutlineServiceHost
import CutlineSettings
import CutlineStorage
import CutlineTestSupport
import CutlineTextApp
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

package func waitUntil(_ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TestSupportError("condition did not hold within 30 s") }
        try await Task.sleep(for: .milliseconds(10))
    }
}

package func waitFor(timeout: Int = 30, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(timeout)
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw TestSupportError("condition did not hold within \(timeout) s") }
        try await Task.sleep(for: .milliseconds(20))
    }
}
