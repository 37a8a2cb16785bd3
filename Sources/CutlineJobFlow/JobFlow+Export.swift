import CutlineContracts
public import CutlineCore
import CutlineJobStore
import Foundation

/// A started job's cut list for video editors (EDL, OpenTimelineIO), from the plan it was started with.
extension JobFlow {
    public struct Exported: Sendable {
        public let body: String
        public let format: EditExport.Format
        /// The uploaded file's name with the format's extension (`holiday.edl`).
        public let filename: String
    }

    /// The job's clips as `format`; `not_started` (409) until the job is started, since the plan is
    /// fixed only then.
    public func export(_ jobID: JobID, format name: String) async throws(JobFlowError) -> Exported {
        let format: EditExport.Format
        do { format = try EditExport.Format.named(name) } catch { throw .badRequest(error.description) }
        let job = try await job(jobID)
        guard let export = job.editExport else {
            throw .conflict("job \(jobID) is not started yet: its clips are fixed when it starts (POST /api/upload/complete)")
        }
        do {
            return Exported(body: try export.rendered(as: format), format: format, filename: job.exportFilename(format))
        } catch {
            throw JobFlowError(.internalFailure, "internal", "the \(format.rawValue) export of job \(jobID) could not be written: \(error)")
        }
    }
}
