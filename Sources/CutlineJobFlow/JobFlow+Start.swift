import Crypto
public import CutlineContracts
public import CutlineCore
public import CutlineJobStore
import CutlineOutbox
import CutlineRPC
import CutlineStorage
import CutlineTracing
import Foundation
public import Logging

/// A job from its plan to the MediaProcessor: planned, its texts measured and fixed, QUEUED once and
/// dispatched; or CANCELLED.
extension JobFlow {
    /// What the person chose for a job: how to cut, the texts, the look.
    public struct Choices: Sendable {
        public var cutting: CuttingChoice
        public var text: TextChoice?
        public var style: StyleChoice?
        public var output: OutputChoice?
        public var platform: String?

        public init(cutting: CuttingChoice, text: TextChoice?, style: StyleChoice?, output: OutputChoice?, platform: String?) {
            self.cutting = cutting
            self.text = text
            self.style = style
            self.output = output
            self.platform = platform
        }
    }

    public struct Analysis: Sendable {
        public let job: GatewayJob
        public let probe: ProbeSummary
        public let plan: SegmentPlan
        public let seed: UInt64?
        public let look: JobLook
        public let warnings: [JobWarning]
    }

    /// The plan for an uploaded video, with the warnings for its texts (those still to be varied are
    /// measured when they are known). A random plan's seed is kept, so starting without one renders it.
    public func analyze(_ jobID: JobID, _ choices: Choices) async throws(JobFlowError) -> Analysis {
        let (job, probe) = try await probed(jobID)
        let (mode, seed) = try choices.cutting.cuttingMode()
        let look = try JobLook(style: choices.style, output: choices.output, platform: choices.platform)
        let plan = try Self.plan(probe, mode, platform: look.platform)
        if let seed { try await stored { try await jobs.previewed(job.jobID, seed: seed) } }
        var warnings: [JobWarning] = []
        if let text = choices.text, !text.needsVariations {
            let (texts, found) = try text.texts(count: plan.count)
            warnings = found + (try await measure(job.jobID, texts: texts, look: look, probe: probe)).warnings
        }
        return Analysis(job: job, probe: probe, plan: plan, seed: seed, look: look, warnings: warnings)
    }

    /// Starts the job: plans it as previewed, fixes its texts (asking the TextService once for `vary`),
    /// refuses a text that does not fit, records QUEUED once and hands the job to the MediaProcessor. A
    /// repeat of the same request answers the same; other settings for a started job are a conflict.
    public func start(_ jobID: JobID, _ choices: Choices) async throws(JobFlowError) {
        guard let text = choices.text else { throw .badRequest("text is missing (single, vary or unique)") }
        let (job, probe) = try await probed(jobID)
        guard job.state != .cancelled else { throw .conflict("job \(jobID) is CANCELLED; start a new one") }
        // A random plan must be the one the person previewed: without a seed, the one analyze returned.
        var cutting = choices.cutting
        if cutting.mode == .random && cutting.seed == nil {
            guard let previewed = job.seed else {
                throw .unprocessable(
                    "seed_required",
                    "random cutting needs a seed: analyze the job first (it picks one) or send the seed, so the clips rendered are the clips previewed"
                )
            }
            cutting.seed = previewed
        }
        let (mode, _) = try cutting.cuttingMode()
        let look = try JobLook(style: choices.style, output: choices.output, platform: choices.platform)
        let plan = try Self.plan(probe, mode, platform: look.platform)
        let texts = text.needsVariations ? try await variedTexts(job, choice: text, count: plan.count) : try text.texts(count: plan.count).texts
        // A text that would not fit is refused before anything is queued (a repeat of a started job was
        // measured when it started).
        if job.submitted == nil {
            let measured: Measured?
            do throws(JobFlowError) {
                measured = try await measure(job.jobID, texts: texts, look: look, probe: probe)
            } catch  where error.code == "media_unavailable" {
                // The processor is down: the job is still queued (nothing the person asked for is lost), and
                // its dispatch below says so; analyze measured the texts the person previewed.
                measured = nil
            }
            if let problem = measured?.tooLong { throw .unprocessable("text_does_not_fit", problem.message) }
        }
        let submit = SubmitRequest(
            jobID: job.jobID, attempt: job.attempt, sourceKey: job.sourceKey, plan: plan, texts: texts, style: look.style,
            shape: look.shape == OutputShape() ? nil : look.shape, platform: look.platform)
        switch dispatch {
        case .processor:
            try await queue(submit, cutting: cutting)
            try await send(submit)
        case .sharedQueue(let taskSeconds):
            // A repeat of a started job stores nothing and sends nothing again.
            let messages = job.submitted == nil ? try await storeForQueue(submit, taskSeconds: taskSeconds) : []
            try await queue(submit, cutting: cutting, messages: messages)
        }
    }

    /// Stores the render request where every processor can read it; the tasks that name it, one per run
    /// of about `taskSeconds` of video.
    func storeForQueue(_ submit: SubmitRequest, taskSeconds: Double) async throws(JobFlowError) -> [QueuedMessage] {
        let body: [UInt8]
        let key: String
        let messages: [QueuedMessage]
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            body = [UInt8](try encoder.encode(submit))
            key = ObjectKeys.renderRequest(submit.jobID, attempt: submit.attempt, digest: Self.digest(body))
            let ranges = submit.plan.taskRanges(seconds: taskSeconds)
            // The render joins the trace of the request that started it.
            let traceparent = TraceHeaders.currentTraceparent
            messages = try ranges.map { range in
                let task = RenderTask(
                    jobID: submit.jobID, attempt: submit.attempt, requestKey: key, firstClip: range.lowerBound, clipCount: range.count,
                    taskCount: ranges.count, traceparent: traceparent)
                return QueuedMessage(jobID: submit.jobID, body: try task.encoded())
            }
        } catch {
            throw JobFlowError(.internalFailure, "internal", "the render request of job \(submit.jobID) could not be encoded: \(error)")
        }
        try await storage { try await objects.put(key: key, bytes: body, contentType: "application/json") }
        return messages
    }

    /// Records QUEUED with what is rendered (and the messages that queue it), once; a repeat with the
    /// same job changes nothing.
    func queue(_ submit: SubmitRequest, cutting: CuttingChoice, messages: [QueuedMessage] = []) async throws(JobFlowError) {
        let params: String
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            params = String(decoding: try encoder.encode(["cutting": cutting]), as: UTF8.self)
        } catch {
            throw JobFlowError(.internalFailure, "internal", "the settings of job \(submit.jobID) could not be encoded: \(error)")
        }
        let queued = try await stored { try await jobs.queue(submit, params: params, messages: messages) }
        changed(submit.jobID)
        guard !queued else { return }
        let current = try await job(submit.jobID)
        guard current.submitted == submit else {
            throw .conflict(
                "job \(submit.jobID) was already started with other settings (it is \(current.state.rawValue)); start a new job to cut differently")
        }
    }

    /// Hands the queued job to the MediaProcessor; sent again on a repeat, the processor keeps the first.
    func send(_ submit: SubmitRequest) async throws(JobFlowError) {
        _ = try await call(media, MediaContract.submit, submit, timeout: .seconds(10), during: .submit)
    }

    /// Records CANCELLED and tells every MediaProcessor; the one rendering the job stops within a second.
    public func cancel(_ jobID: JobID, logger: Logger) async throws(JobFlowError) {
        let job = try await job(jobID)
        let state = try await state(of: job)
        guard !state.isTerminal else { throw .conflict("job \(jobID) is \(state.rawValue) already; there is nothing to cancel") }
        try await stored { try await jobs.cancel(jobID, attempt: job.attempt) }
        changed(jobID)
        for (address, answer) in await media.callAll(MediaContract.cancel, CancelRequest(jobID: jobID), timeout: .seconds(5)) {
            // CANCELLED stands either way: whatever a processor reports later is an older version, and one
            // that did not hear it finds the cancel in the status store within seconds.
            if case .failure(let error) = answer {
                logger.warning(
                    "a MediaProcessor did not hear the cancel", metadata: ["job_id": "\(jobID)", "rpc_server": "\(address)", "error": "\(error)"])
            }
        }
    }

    static func plan(_ probe: ProbeSummary, _ mode: CuttingMode, platform: Platform?) throws(JobFlowError) -> SegmentPlan {
        do {
            let plan = try SegmentPlan.plan(duration: probe.duration, frameRate: probe.frameRate, mode: mode)
            if let platform { try plan.checkLongestClip(for: platform) }
            return plan
        } catch {
            throw .unprocessable("bad_cutting", error.description)
        }
    }

    public struct Measured: Sendable {
        public let warnings: [JobWarning]
        /// The first text that does not fit.
        public let tooLong: JobWarning?
    }

    /// The texts measured by the MediaProcessor on the source's frame: a warning for each that does not
    /// fit or has characters no font draws.
    public func measure(_ jobID: JobID, texts: [String], look: JobLook, probe: ProbeSummary) async throws(JobFlowError) -> Measured {
        guard texts.contains(where: { !$0.isEmpty }) else { return Measured(warnings: [], tooLong: nil) }
        let source = JobLook.displayed(probe)
        let request = PreflightRequest(
            jobID: jobID, texts: texts, style: look.style, width: source.width, height: source.height,
            shape: look.shape, platform: look.platform)
        let size = look.size(probe)
        let area =
            look.platform.map { "inside \($0.name)'s safe area of the \(size.width)×\(size.height) frame" }
            ?? "on the \(size.width)×\(size.height) frame"
        let answer = try await call(media, MediaContract.preflight, request, timeout: .seconds(30), during: .preflight)
        var warnings: [JobWarning] = []
        if answer.fontInstalled == false {
            warnings.append(
                JobWarning(
                    code: "font_not_installed",
                    message:
                        "the MediaProcessor has no font family \"\(look.style.fontFamily)\": its default font draws the texts instead; choose an installed family (`fc-list : family` on the processor lists them)",
                    index: nil))
        }
        for (index, report) in answer.texts.enumerated() {
            if !report.fits {
                warnings.append(
                    JobWarning(
                        code: "text_does_not_fit",
                        message:
                            "the text of clip \(index + 1) wraps to \(report.lines.count) lines and does not fit \(area); shorten it or choose a smaller font size",
                        index: index))
            }
            if !report.missing.isEmpty {
                let named = report.missing.map { character in "\(character) (U+\(String(format: "%04X", character.unicodeScalars.first?.value ?? 0)))"
                }
                warnings.append(
                    JobWarning(
                        code: "missing_characters",
                        message:
                            "no installed font has \(named.joined(separator: ", ")) in the text of clip \(index + 1): it would show as a box; remove it or use another character",
                        index: index))
            }
        }
        return Measured(warnings: warnings, tooLong: warnings.first { $0.code == "text_does_not_fit" })
    }

    /// `vary` without texts: the TextService is asked once, seeded by the job, and the texts are fixed with
    /// the job (a repeated start reuses them rather than asking again).
    func variedTexts(_ job: GatewayJob, choice: TextChoice, count: Int) async throws(JobFlowError) -> [String] {
        if let earlier = job.submitted { return earlier.texts }
        guard let base = choice.baseText else {
            throw .badRequest("text.base_text is missing (vary mode varies it for each clip, or takes your texts in text.texts)")
        }
        return try await vary(VaryRequest(baseText: base, count: count, seed: Self.seed(job.jobID))).texts
    }

    /// Variations of a base text from the TextService, checked first by the contract's rules so a bad
    /// request never waits on the service.
    public func vary(_ request: VaryRequest) async throws(JobFlowError) -> VaryResponse {
        if let problem = request.problem { throw .unprocessable("bad_variations", problem) }
        return try await call(text, TextContract.vary, request, timeout: .seconds(60), during: .vary)
    }

    /// A seed fixed by the job id (FNV-1a of its text), below 2^53 like every seed the API returns.
    static func seed(_ jobID: JobID) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in jobID.description.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash & ((1 << 53) - 1)
    }
}

extension JobFlow {
    /// The first 16 hex digits of the SHA-256 of `bytes`: enough to tell two requests of one job apart.
    static func digest(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).prefix(8).map { String(format: "%02x", $0) }.joined()
    }
}
