internal import CFFmpeg

/// Owns an `AVFilterGraph`. Filters are created one by one through the API (`avfilter_graph_alloc_filter`
/// and `av_opt_set`), never parsed from a filter-graph string, so no text — a user's or a file path —
/// is ever interpreted by FFmpeg's filter-graph syntax (where `:`, `,`, `'` and `\` are special).
final class FilterGraph {
    /// A filter inside this graph; only meaningful with the graph that made it.
    struct Node: Hashable {
        fileprivate let index: Int
    }

    private var graph: UnsafeMutablePointer<AVFilterGraph>?
    private var filters: [UnsafeMutablePointer<AVFilterContext>] = []
    private let purpose: String

    init(purpose: String) throws(MediaError) {
        self.purpose = purpose
        guard let graph = avfilter_graph_alloc() else {
            throw MediaError(code: .ffmpeg, operation: "allocating the \(purpose) filter graph", message: "out of memory")
        }
        self.graph = graph
    }

    deinit {
        // Frees every filter of the graph too.
        avfilter_graph_free(&graph)
    }

    /// Creates filter `filterName` with `options` (each set with `av_opt_set`, so values are taken
    /// literally) and initialises it.
    @discardableResult
    func add(_ filterName: String, options: KeyValuePairs<String, String> = [:]) throws(MediaError) -> Node {
        try add(filterName, optionList: options.map { ($0.key, $0.value) })
    }

    func add(_ filterName: String, optionList: [(String, String)]) throws(MediaError) -> Node {
        let operation = "creating the \(filterName) filter (\(purpose))"
        guard let filter = avfilter_get_by_name(filterName) else {
            throw MediaError(code: .unsupportedCodec, operation: operation, message: "this FFmpeg build has no \(filterName) filter")
        }
        let name = "\(filterName)\(filters.count)"
        guard let context = avfilter_graph_alloc_filter(graph, filter, name) else {
            throw MediaError(code: .ffmpeg, operation: operation, message: "out of memory")
        }
        // The graph owns `context` from here on, whatever happens below.
        for (key, value) in optionList {
            let status = av_opt_set(UnsafeMutableRawPointer(context), key, value, AV_OPT_SEARCH_CHILDREN)
            if status < 0 {
                throw MediaError.ffmpeg(status, "\(operation): setting \(key)")
            }
        }
        try check(avfilter_init_str(context, nil), operation)
        filters.append(context)
        return Node(index: filters.count - 1)
    }

    /// Links output pad `fromPad` of `from` to input pad `toPad` of `to`.
    func link(_ from: Node, _ to: Node, fromPad: UInt32 = 0, toPad: UInt32 = 0) throws(MediaError) {
        try check(avfilter_link(filters[from.index], fromPad, filters[to.index], toPad), "linking filters (\(purpose))")
    }

    /// Links a chain of nodes in order.
    func chain(_ nodes: [Node]) throws(MediaError) {
        for (from, to) in zip(nodes, nodes.dropFirst()) {
            try link(from, to)
        }
    }

    /// Checks the graph and negotiates formats (inserting scale/aresample where formats differ).
    func configure() throws(MediaError) {
        try check(avfilter_graph_config(graph, nil), "configuring the \(purpose) filter graph")
    }

    /// Gives a frame to a `buffer`/`abuffer` source (taking its references), or nil for end of stream.
    func push(_ frame: Frame?, to source: Node) throws(MediaError) {
        try check(av_buffersrc_add_frame(filters[source.index], frame?.pointer), "filtering \(purpose)")
    }

    /// Takes the next filtered frame from a `buffersink`/`abuffersink`.
    func pull(from sink: Node, into frame: Frame) throws(MediaError) -> StepResult {
        let status = av_buffersink_get_frame(filters[sink.index], frame.pointer)
        if status == cutline_averror_eagain() { return .needsInput }
        if status == cutline_averror_eof() { return .endOfStream }
        try check(status, "filtering \(purpose)")
        return .ready
    }

    func timeBase(of sink: Node) -> AVRational { av_buffersink_get_time_base(filters[sink.index]) }
    func width(of sink: Node) -> Int32 { av_buffersink_get_w(filters[sink.index]) }
    func height(of sink: Node) -> Int32 { av_buffersink_get_h(filters[sink.index]) }
    func sampleRate(of sink: Node) -> Int32 { av_buffersink_get_sample_rate(filters[sink.index]) }
    func frameRate(of sink: Node) -> AVRational { av_buffersink_get_frame_rate(filters[sink.index]) }
    func sampleAspectRatio(of sink: Node) -> AVRational { av_buffersink_get_sample_aspect_ratio(filters[sink.index]) }

    /// Makes an audio sink hand out frames of exactly `samples` samples (the AAC encoder's frame size).
    func setFrameSize(of sink: Node, samples: Int32) {
        av_buffersink_set_frame_size(filters[sink.index], UInt32(samples))
    }
}
