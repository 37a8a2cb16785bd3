import CutlineContracts
public import CutlineCore
import Foundation

extension GatewayJob {
    /// The cut list of a started job, titled by the uploaded file's name; nil until it is started, as its
    /// clips are fixed only then.
    public var editExport: EditExport? {
        guard let submitted else { return nil }
        return EditExport(title: exportTitle, sourceName: filename, plan: submitted.plan, texts: submitted.texts)
    }

    /// The uploaded file's name with the format's extension (`holiday.edl`).
    public func exportFilename(_ format: EditExport.Format) -> String {
        "\(exportTitle.isEmpty ? "clips" : exportTitle).\(format.fileExtension)"
    }

    private var exportTitle: String { (filename as NSString).deletingPathExtension }
}
