import CCurl
import Foundation

/// Owns one curl easy handle for its whole life and cleans it up exactly once. Reused across
/// requests (curl keeps its connections alive between them). Handed to one worker thread when the
/// client starts and used by that thread alone, hence `@unchecked Sendable`.
final class CurlEasy: @unchecked Sendable {
    private let handle: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    /// curl's own detailed message for the last failure ("Failed to connect to host port 80 after
    /// 300 ms: …"), which says more than curl_easy_strerror's text for the code.
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    init() throws(HTTPError.Kind) {
        guard let handle = curl_easy_init() else {
            errorBuffer.deallocate()
            throw .network(curlCode: Int32(CURLE_FAILED_INIT.rawValue), message: "curl_easy_init failed (out of memory?)")
        }
        self.handle = handle
    }

    deinit {
        if let headerList { curl_slist_free_all(headerList) }
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Performs one request, blocking the calling (worker) thread.
    func perform(_ request: HTTPRequest, connectTimeoutMilliseconds: Int, timeoutMilliseconds: Int) -> Result<HTTPResponse, HTTPError.Kind> {
        curl_easy_reset(handle)
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil

        let exchange = Exchange()
        switch request.body {
        case .none: break
        case .bytes(let bytes): exchange.upload = .memory(bytes, 0)
        case .file(let path, let offset, let length):
            guard let file = fopen(path, "rb") else { return .failure(.file(path: path, message: String(cString: strerror(errno)))) }
            fseeko(file, off_t(offset), SEEK_SET)
            var size = length ?? 0
            if length == nil {
                var info = stat()
                fstat(fileno(file), &info)
                size = Int64(info.st_size) - offset
            }
            exchange.upload = .file(file, size)
            exchange.uploadPath = path
        }
        var temporaryPath: String?
        if case .file(let path) = request.destination {
            let temporary = "\(path).part-\(UUID().uuidString.prefix(8))"
            guard let file = fopen(temporary, "wb") else { return .failure(.file(path: temporary, message: String(cString: strerror(errno)))) }
            exchange.download = file
            temporaryPath = temporary
        }
        defer { exchange.close() }

        errorBuffer[0] = 0
        _ = cutline_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer))
        _ = cutline_curl_setopt_string(handle, CURLOPT_URL, request.url.absoluteString)
        _ = cutline_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = cutline_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, connectTimeoutMilliseconds)
        _ = cutline_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, timeoutMilliseconds)
        // TLS verification stays on (curl's default); said here so nobody turns it off by accident.
        _ = cutline_curl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 1)
        _ = cutline_curl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 2)
        switch request.method {
        case .get: break
        case .head: _ = cutline_curl_setopt_long(handle, CURLOPT_NOBODY, 1)
        case .put, .post, .delete: _ = cutline_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method.rawValue)
        }
        if exchange.upload != nil {
            _ = cutline_curl_setopt_long(handle, CURLOPT_UPLOAD, 1)
            _ = cutline_curl_setopt_offset(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(exchange.uploadSize))
            _ = cutline_curl_setopt_read_function(handle, curlRead)
            _ = cutline_curl_setopt_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(exchange).toOpaque())
        }
        // curl adds "Expect: 100-continue" to uploads; the round trip only costs time here.
        var headers = request.headers
        headers.append(("Expect", ""))
        if request.method == .post && exchange.upload == nil { headers.append(("Content-Length", "0")) }
        for (name, value) in headers {
            headerList = curl_slist_append(headerList, value.isEmpty ? "\(name):" : "\(name): \(value)")
        }
        _ = cutline_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
        _ = cutline_curl_setopt_write_function(handle, curlWrite)
        _ = cutline_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(exchange).toOpaque())
        _ = cutline_curl_setopt_header_function(handle, curlHeader)
        _ = cutline_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, Unmanaged.passUnretained(exchange).toOpaque())

        let code = withExtendedLifetime(exchange) { curl_easy_perform(handle) }
        exchange.close()
        if exchange.uploadShortRead, let path = exchange.uploadPath {
            if let temporaryPath { unlink(temporaryPath) }
            return .failure(.file(path: path, message: "the file ended before the \(exchange.uploadSize) bytes to send"))
        }
        guard code == CURLE_OK else {
            if let temporaryPath { unlink(temporaryPath) }
            let detail = String(cString: errorBuffer)
            return .failure(.network(curlCode: Int32(code.rawValue), message: detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail))
        }
        var status = 0
        _ = cutline_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        let response = HTTPResponse(status: status, headers: exchange.headers, body: exchange.body)
        if let temporaryPath, case .file(let path) = request.destination {
            if (200..<300).contains(status) {
                if rename(temporaryPath, path) != 0 {
                    let message = String(cString: strerror(errno))
                    unlink(temporaryPath)
                    return .failure(.file(path: path, message: message))
                }
            } else {
                // An error body went to the file; read it back so the caller sees the service's message.
                let body = (try? Data(contentsOf: URL(fileURLWithPath: temporaryPath))).map { [UInt8]($0) } ?? []
                unlink(temporaryPath)
                return .success(HTTPResponse(status: status, headers: exchange.headers, body: body))
            }
        }
        return .success(response)
    }
}

/// Per-request state the C callbacks reach through their user-data pointer.
final class Exchange {
    enum Upload {
        case memory([UInt8], Int)
        case file(UnsafeMutablePointer<FILE>, Int64)
    }

    var upload: Upload?
    /// Set when the body file ended before its declared size (it shrank, or the range was wrong).
    var uploadPath: String?
    var uploadShortRead = false
    var download: UnsafeMutablePointer<FILE>?
    var uploadRemaining: Int64 = 0
    var body: [UInt8] = []
    var headers: [String: String] = [:]

    var uploadSize: Int64 {
        switch upload {
        case .memory(let bytes, _): Int64(bytes.count)
        case .file(_, let size): size
        case nil: 0
        }
    }

    func close() {
        if case .file(let file, _) = upload { fclose(file) }
        upload = nil
        if let download { fclose(download) }
        download = nil
    }
}

private func curlWrite(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    let exchange = Unmanaged<Exchange>.fromOpaque(context!).takeUnretainedValue()
    let length = size * count
    guard let data else { return 0 }
    if let file = exchange.download {
        return fwrite(data, 1, length, file)
    }
    exchange.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
    return length
}

private func curlRead(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    let exchange = Unmanaged<Exchange>.fromOpaque(context!).takeUnretainedValue()
    guard let buffer else { return 0 }
    let capacity = size * count
    switch exchange.upload {
    case .memory(let bytes, let offset):
        let n = min(capacity, bytes.count - offset)
        bytes.withUnsafeBytes { source in
            UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + offset, byteCount: n)
        }
        exchange.upload = .memory(bytes, offset + n)
        return n
    case .file(let file, let remaining):
        guard remaining > 0 else { return 0 }
        let n = fread(buffer, 1, min(capacity, Int(remaining)), file)
        if n == 0 {
            // Stop now rather than leave the server waiting for bytes that will never come.
            exchange.uploadShortRead = true
            return 0x1000_0000  // CURL_READFUNC_ABORT
        }
        exchange.upload = .file(file, remaining - Int64(n))
        return n
    case nil:
        return 0
    }
}

private func curlHeader(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    let exchange = Unmanaged<Exchange>.fromOpaque(context!).takeUnretainedValue()
    let length = size * count
    guard let data else { return 0 }
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        // A new response (after a redirect or 100-continue): forget the previous one's headers.
        exchange.headers = [:]
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        exchange.headers[name] = value
    }
    return length
}
