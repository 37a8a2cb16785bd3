import CutlineContracts
import CutlineCore
import CutlineRPC
import CutlineStorage
import CutlineWire
import Foundation
import Hummingbird

/// Analysing an upload (probe and plan) and starting its job.
extension GatewayAPI {
    struct Cutting: Codable {
        let mode: String
        let seconds: Double?
        let min: Double?
        let max: Double?
        let seed: UInt64?
    }

    struct TextChoice: Codable {
        let mode: String
        let text: String?
        let baseText: String?
        let texts: [String]?
    }

    struct Style: Codable {
        let position: String?
        let fontSize: Double?
        let textColor: String?
        let boxColor: String?
        let outline: Double?
        let shadow: Double?
        let alignment: String?
        let font: String?
        let boxPadding: Double?
        let boxRadius: Double?
        let lineSpacing: Double?
    }

    /// The clips' frame: `aspect` source, 9:16, 1:1, 4:5, 16:9; `fit` crop, blur, pad.
    struct Output: Codable {
        let aspect: String?
        let fit: String?
        let focus: Double?
        let height: Int?
    }

    struct AnalyzeRequest: Decodable {
        let jobId: String
        let cutting: Cutting
        let text: TextChoice?
        let style: Style?
        let output: Output?
        let platform: String?
    }

    /// How the clips look: the style, the frame and the platform, checked once.
    struct Look {
        var style: OverlayStyle
        var shape: OutputShape
        var platform: Platform?

        init(style: Style?, output: Output?, platform: String?) throws {
            self.style = try GatewayAPI.style(style)
            if let platform {
                guard let parsed = Platform(rawValue: platform) else {
                    throw APIError.badRequest("platform is tiktok, reels or shorts, not \"\(platform)\"")
                }
                self.platform = parsed
            }
            shape = self.platform?.shape ?? OutputShape()
            guard let output else { return }
            if let aspect = output.aspect {
                guard let parsed = OutputShape.Aspect(rawValue: aspect) else {
                    throw APIError.badRequest("output.aspect is source, 9:16, 1:1, 4:5 or 16:9, not \"\(aspect)\"")
                }
                shape.aspect = parsed
            }
            if let fit = output.fit {
                guard let parsed = OutputShape.Fit(rawValue: fit) else { throw APIError.badRequest("output.fit is crop, blur or pad, not \"\(fit)\"") }
                shape.fit = parsed
            }
            if let focus = output.focus {
                guard (0...1).contains(focus) else { throw APIError.badRequest("output.focus is 0 (left/top) to 1 (right/bottom), not \(focus)") }
                shape.focus = focus
            }
            if let height = output.height {
                guard (64...OutputShape.maximumHeight).contains(height), height % 2 == 0 else {
                    throw APIError.badRequest("output.height is an even number of pixels from 64 to \(OutputShape.maximumHeight), not \(height)")
                }
                shape.height = height
            }
        }

        /// The clips' size for the probed source.
        func size(_ probe: ProbeSummary) -> (width: Int, height: Int) {
            let turned = probe.rotation == 90 || probe.rotation == 270
            return shape.size(sourceWidth: (turned ? probe.height : probe.width) & ~1, sourceHeight: (turned ? probe.width : probe.height) & ~1)
        }
    }

    /// Something the person should know before starting: which clip, what, and what to do.
    struct Warning: Encodable, Hashable {
        let code: String
        let message: String
        /// The clip it concerns (as in `segments`), when it concerns one.
        let index: Int?
    }

    struct AnalyzeResponse: Encodable {
        struct Segment: Encodable {
            let index: Int
            let start: Double
            let duration: Double
        }
        struct Source: Encodable {
            let width: Int
            let height: Int
            let fps: Double
            let hasAudio: Bool
            let videoCodec: String
        }
        let jobId: String
        let duration: Double
        let count: Int
        let seed: UInt64?
        let segments: [Segment]
        let warnings: [Warning]
        let source: Source
        /// The clips' frame, and the part of it a platform's interface leaves clear (fractions of it).
        let output: OutputFrame
    }

    struct OutputFrame: Encodable {
        let width: Int
        let height: Int
        let safeArea: SafeArea?
    }

    func analyze(_ request: Request) async throws -> Response {
        let body = try await JSONBody.decode(AnalyzeRequest.self, from: request)
        let (job, probe) = try await probed(try Self.jobID(body.jobId))
        let (mode, seed) = try Self.mode(body.cutting)
        let look = try Look(style: body.style, output: body.output, platform: body.platform)
        let plan = try Self.plan(probe, mode, platform: look.platform)
        if let seed { try await jobs.previewed(job.jobID, seed: seed) }
        var warnings: [Warning] = []
        // Texts still to be varied by the TextService are measured when they are known.
        if let text = body.text, !(text.mode == "vary" && text.texts == nil) {
            let (texts, found) = try Self.texts(text, count: plan.count)
            warnings = found + (try await preflight(job.jobID, texts: texts, look: look, probe: probe)).warnings
        }
        let size = look.size(probe)
        return try JSONBody.response(AnalyzeResponse(
            jobId: job.jobID.description, duration: probe.duration, count: plan.count, seed: seed,
            segments: plan.segments.map { .init(index: $0.index, start: $0.start, duration: $0.duration) }, warnings: warnings,
            source: .init(width: probe.width, height: probe.height, fps: probe.frameRate.framesPerSecond, hasAudio: probe.hasAudio, videoCodec: probe.videoCodec),
            output: .init(width: size.width, height: size.height, safeArea: look.platform?.safeArea)))
    }

    struct CompleteRequest: Decodable {
        let jobId: String
        let cutting: Cutting
        let text: TextChoice
        let style: Style?
        let output: Output?
        let platform: String?
    }

    struct CompleteResponse: Encodable {
        let jobId: String
        let state: String
    }

    func complete(_ request: Request) async throws -> Response {
        let body = try await JSONBody.decode(CompleteRequest.self, from: request)
        let jobID = try Self.jobID(body.jobId)
        let (job, probe) = try await probed(jobID)
        guard job.state != .cancelled else { throw APIError.conflict("job \(jobID) is CANCELLED; start a new one") }
        // A random plan must be the one the person previewed: without a seed, the one analyze returned.
        var cutting = body.cutting
        if cutting.mode == "random" && cutting.seed == nil {
            guard let previewed = job.seed else {
                throw APIError(.unprocessableContent, "seed_required", "random cutting needs a seed: analyze the job first (it picks one) or send the seed, so the clips rendered are the clips previewed")
            }
            cutting = Cutting(mode: cutting.mode, seconds: cutting.seconds, min: cutting.min, max: cutting.max, seed: previewed)
        }
        let (mode, _) = try Self.mode(cutting)
        return try await start(job, probe: probe, mode: mode, cutting: cutting, body: body)
    }

    private func start(_ job: JobStore.Job, probe: ProbeSummary, mode: CuttingMode, cutting: Cutting, body: CompleteRequest) async throws -> Response {
        let look = try Look(style: body.style, output: body.output, platform: body.platform)
        let plan = try Self.plan(probe, mode, platform: look.platform)
        let texts = body.text.mode == "vary" && body.text.texts == nil
            ? try await variedTexts(job, choice: body.text, count: plan.count)
            : try Self.texts(body.text, count: plan.count).texts
        // A text that would not fit is refused before anything is queued (a repeat of a started job
        // was measured when it started).
        if job.state.rank < JobState.queued.rank {
            do {
                if let problem = try await preflight(job.jobID, texts: texts, look: look, probe: probe).tooLong {
                    throw APIError(.unprocessableContent, "text_does_not_fit", problem.message)
                }
            } catch let error as APIError where error.code == "media_unavailable" {
                // The processor is down: the job is still queued (nothing the person asked for is lost),
                // and its dispatch below says so; analyze measured the texts the person previewed.
            }
        }
        let submit = SubmitRequest(jobID: job.jobID, attempt: job.attempt, sourceKey: job.sourceKey, plan: plan, texts: texts, style: look.style,
                                   shape: look.shape == OutputShape() ? nil : look.shape, platform: look.platform)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let submitted = String(decoding: try encoder.encode(submit), as: UTF8.self)
        let params = String(decoding: try encoder.encode(["cutting": cutting]), as: UTF8.self)
        let queued = try await jobs.queue(job.jobID, submitted: submitted, params: params, clips: plan.count)
        answers.forget(job.jobID)
        if !queued {
            // Already started: the same request answers the same; another one is a conflict.
            let current = try await jobs.job(job.jobID)
            guard current?.submitted == submitted else {
                throw APIError.conflict("job \(job.jobID) was already started with other settings (it is \(current?.state.rawValue ?? "?")); start a new job to cut differently")
            }
        }
        // Sent again on a repeat: the processor keeps the first and changes nothing.
        do {
            _ = try await media.call(MediaContract.submit, submit, timeout: .seconds(10))
        } catch let error as RPCError {
            throw APIError(.serviceUnavailable, "media_unavailable", "the job is queued but the MediaProcessor did not take it (\(error.message)); send the same request again to retry")
        }
        return try JSONBody.response(CompleteResponse(jobId: job.jobID.description, state: JobState.queued.rawValue), status: .accepted)
    }

    /// The texts measured by the MediaProcessor on the source's frame: a warning for each text that does
    /// not fit or has characters no font draws, and the first that does not fit.
    func preflight(_ jobID: JobID, texts: [String], look: Look, probe: ProbeSummary) async throws -> (warnings: [Warning], tooLong: Warning?) {
        guard texts.contains(where: { !$0.isEmpty }) else { return ([], nil) }
        let turned = probe.rotation == 90 || probe.rotation == 270
        let request = PreflightRequest(jobID: jobID, texts: texts, style: look.style,
                                       width: (turned ? probe.height : probe.width) & ~1, height: (turned ? probe.width : probe.height) & ~1,
                                       shape: look.shape, platform: look.platform)
        let size = look.size(probe)
        let area = look.platform.map { "inside \($0.name)'s safe area of the \(size.width)×\(size.height) frame" } ?? "on the \(size.width)×\(size.height) frame"
        let answer: PreflightResponse
        do {
            answer = try await media.call(MediaContract.preflight, request, timeout: .seconds(30))
        } catch let error as RPCError {
            throw APIError(.serviceUnavailable, "media_unavailable", "the MediaProcessor could not measure the texts (\(error.message)); try again shortly")
        }
        var warnings: [Warning] = []
        if answer.fontInstalled == false {
            warnings.append(Warning(code: "font_not_installed", message: "the MediaProcessor has no font family \"\(look.style.fontFamily)\": its default font draws the texts instead; choose an installed family (`fc-list : family` on the processor lists them)", index: nil))
        }
        for (index, report) in answer.texts.enumerated() {
            if !report.fits {
                warnings.append(Warning(code: "text_does_not_fit", message: "the text of clip \(index + 1) wraps to \(report.lines.count) lines and does not fit \(area); shorten it or choose a smaller font size", index: index))
            }
            if !report.missing.isEmpty {
                let named = report.missing.map { character in "\(character) (U+\(String(format: "%04X", character.unicodeScalars.first!.value)))" }
                warnings.append(Warning(code: "missing_characters", message: "no installed font has \(named.joined(separator: ", ")) in the text of clip \(index + 1): it would show as a box; remove it or use another character", index: index))
            }
        }
        return (warnings, warnings.first { $0.code == "text_does_not_fit" })
    }

    /// `vary` without texts: the TextService is asked once, seeded by the job, and the texts are fixed
    /// with the job (a repeated complete reuses them rather than asking again).
    func variedTexts(_ job: JobStore.Job, choice: TextChoice, count: Int) async throws -> [String] {
        if let submitted = job.submitted, let earlier = try? JSONDecoder().decode(SubmitRequest.self, from: Data(submitted.utf8)) {
            return earlier.texts
        }
        guard let base = choice.baseText else {
            throw APIError.badRequest("text.base_text is missing (vary mode varies it for each clip, or takes your texts in text.texts)")
        }
        return try await vary(VaryRequest(baseText: base, count: count, seed: Self.seed(job.jobID))).texts
    }

    /// A seed fixed by the job id (FNV-1a of its text), below 2^53 like every seed the API returns.
    static func seed(_ jobID: JobID) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in jobID.description.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash & ((1 << 53) - 1)
    }

    static func jobID(_ text: String) throws -> JobID {
        do {
            return try JobID(validating: text)
        } catch {
            throw APIError.badRequest("job_id \"\(text)\" is not a job id (a UUID)")
        }
    }

    /// The job and its source's probe: the upload finished first (a multipart one is joined here), then
    /// probed once by the MediaProcessor, straight from storage.
    func probed(_ jobID: JobID) async throws -> (JobStore.Job, ProbeSummary) {
        guard let job = try await jobs.job(jobID) else { throw APIError.notFound("no job \(jobID)") }
        if let stored = job.probe, let probe = try? JSONDecoder().decode(ProbeSummary.self, from: Data(stored.utf8)) {
            return (job, probe)
        }
        try await finishUpload(job)
        let probe: ProbeSummary
        do {
            probe = try await media.call(MediaContract.probe, ProbeRequest(jobID: jobID, sourceKey: job.sourceKey), timeout: .seconds(30))
        } catch let error as RPCError {
            switch error.code {
            case .badRequest:
                let code = switch error.detail {
                case "unsupported_format": "unsupported_format"
                case "too_large": "video_too_large"
                default: "not_a_video"
                }
                throw APIError(.unprocessableContent, code, error.message)
            case .notFound: throw APIError.conflict("the upload of job \(jobID) has not finished: \(error.message)")
            default: throw APIError(.serviceUnavailable, "media_unavailable", "the MediaProcessor could not probe the upload (\(error.message)); try again shortly")
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try await jobs.uploaded(jobID, probe: String(decoding: try encoder.encode(probe), as: UTF8.self))
        answers.forget(jobID)
        return (job, probe)
    }

    /// Joins a multipart upload's parts once they are all stored; a single upload must just be there.
    func finishUpload(_ job: JobStore.Job) async throws {
        if try await storage({ try await objects.head(key: job.sourceKey) }) != nil { return }
        guard let uploadID = job.uploadID, let partSize = job.partSize else {
            throw APIError.conflict("the upload of job \(job.jobID) has not arrived: PUT the file to the URL from /api/upload/initiate first")
        }
        let parts = try await storage { try await objects.listParts(key: job.sourceKey, uploadID: uploadID) }
        let total = Int((job.size + partSize - 1) / partSize)
        guard parts.map(\.number) == Array(1...total) else {
            throw APIError.conflict("the upload of job \(job.jobID) has \(parts.count) of its \(total) parts; send the rest (GET /api/upload/\(job.jobID)/parts)")
        }
        let stored = parts.map(\.size).reduce(0, +)
        guard stored == job.size else {
            throw APIError.conflict("the parts of job \(job.jobID) hold \(stored) bytes, not the \(job.size) announced; send the wrong parts again")
        }
        try await storage { try await objects.completeMultipartUpload(key: job.sourceKey, uploadID: uploadID, parts: parts) }
    }

    static func mode(_ cutting: Cutting) throws -> (CuttingMode, UInt64?) {
        switch cutting.mode {
        case "fixed":
            guard let seconds = cutting.seconds else { throw APIError.badRequest("cutting.seconds is missing (fixed cutting needs the clip length in seconds)") }
            return (.fixed(seconds: seconds), nil)
        case "random":
            guard let low = cutting.min, let high = cutting.max else { throw APIError.badRequest("cutting.min and cutting.max are needed for random cutting") }
            // JavaScript numbers hold integers exactly up to 2^53: seeds stay below it.
            let seed = cutting.seed ?? UInt64.random(in: 0..<(1 << 53))
            return (.random(min: low, max: high, seed: seed), seed)
        default:
            throw APIError.badRequest("cutting.mode is \"fixed\" or \"random\", not \"\(cutting.mode)\"")
        }
    }

    static func plan(_ probe: ProbeSummary, _ mode: CuttingMode, platform: Platform? = nil) throws -> SegmentPlan {
        do {
            let plan = try SegmentPlan.plan(duration: probe.duration, frameRate: probe.frameRate, mode: mode)
            if let platform { try plan.checkLongestClip(for: platform) }
            return plan
        } catch {
            throw APIError(.unprocessableContent, "bad_cutting", error.description)
        }
    }

    /// The text of each clip, from the person's choice; what the planner found odd as warnings.
    static func texts(_ choice: TextChoice, count: Int) throws -> (texts: [String], warnings: [Warning]) {
        let texts: [String]
        switch choice.mode {
        case "single":
            guard let text = choice.text else { throw APIError.badRequest("text.text is missing (single mode gives one text for every clip)") }
            texts = Array(repeating: text, count: count)
        case "unique", "vary":
            guard let given = choice.texts else {
                throw APIError.badRequest("text.texts is missing (unique mode gives one text per clip)")
            }
            guard given.count == count else {
                throw APIError(.unprocessableContent, "text_count", "the plan has \(count) clips but text.texts has \(given.count) texts; give one per clip")
            }
            texts = given
        default:
            throw APIError.badRequest("text.mode is \"single\", \"vary\" or \"unique\", not \"\(choice.mode)\"")
        }
        if let long = texts.firstIndex(where: { $0.count > 1000 }) {
            throw APIError(.unprocessableContent, "text_too_long", "the text of clip \(long + 1) has \(texts[long].count) characters; at most 1000 fit on a clip")
        }
        let empty = texts.indices.filter { texts[$0].trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        return (texts, choice.mode == "single" ? [] : empty.map { Warning(code: "no_text", message: "clip \($0 + 1) has no text, so no overlay", index: $0) })
    }

    static func style(_ given: Style?) throws -> OverlayStyle {
        var style = OverlayStyle()
        guard let given else { return style }
        if let position = given.position {
            guard let parsed = OverlayStyle.Position(rawValue: position) else {
                throw APIError.badRequest("style.position is top, center or bottom, not \"\(position)\"")
            }
            style.position = parsed
        }
        /// A number of the style, kept when given and inside `range`; else the field's rule in the error.
        func number(_ value: Double?, _ range: ClosedRange<Double>, _ field: String, _ rule: String, into target: inout Double) throws {
            guard let value else { return }
            guard range.contains(value) else { throw APIError.badRequest("style.\(field) is \(rule), not \(value)") }
            target = value
        }
        try number(given.fontSize, 0.01...0.3, "font_size", "a fraction of the frame's shorter side from 0.01 to 0.3", into: &style.fontSize)
        try number(given.outline, 0...20, "outline", "0 to 20 pixels at 720p", into: &style.outline)
        try number(given.shadow, 0...20, "shadow", "0 to 20 pixels at 720p", into: &style.shadow)
        try number(given.boxPadding, 0...2, "box_padding", "0 to 2 (a fraction of the font size)", into: &style.boxPadding)
        try number(given.boxRadius, 0...1, "box_radius", "0 to 1 (a fraction of the font size)", into: &style.boxRadius)
        try number(given.lineSpacing, 0.8...3, "line_spacing", "0.8 to 3 (a multiple of the font's line height)", into: &style.lineSpacing)
        if let alignment = given.alignment {
            guard let parsed = OverlayStyle.Alignment(rawValue: alignment) else {
                throw APIError.badRequest("style.alignment is left, center or right, not \"\(alignment)\"")
            }
            style.alignment = parsed
        }
        if let font = given.font {
            // Checked against the MediaProcessor's fonts by the pre-flight (a warning names a missing one).
            guard (1...100).contains(font.count), !font.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw APIError.badRequest("style.font is a font family name of 1 to 100 characters, such as \"DejaVu Sans\"")
            }
            style.fontFamily = font
        }
        if let text = given.textColor {
            guard let color = OverlayStyle.Color(hex: text) else { throw APIError.badRequest("style.text_color is #RRGGBB or #RRGGBBAA, not \"\(text)\"") }
            style.textColor = color
        }
        if let box = given.boxColor {
            if box == "none" {
                style.boxColor = nil
            } else {
                guard let color = OverlayStyle.Color(hex: box) else { throw APIError.badRequest("style.box_color is #RRGGBB, #RRGGBBAA or none, not \"\(box)\"") }
                style.boxColor = color
            }
        }
        return style
    }
}
