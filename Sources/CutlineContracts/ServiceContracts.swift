public import CutlineRPC

/// The Gateway's methods (it also serves HTTP to browsers; these are for other services and operators).
public enum GatewayContract {
    public static let serviceName = "gateway"
    public static let health = SystemContract.health
}

/// MediaProcessor: probing and rendering; its job methods arrive with the Media and Product issues.
public enum MediaContract {
    public static let serviceName = "media"
    public static let health = SystemContract.health
}

/// TextService: per-clip text variations; its methods arrive with the Product issue.
public enum TextContract {
    public static let serviceName = "text"
    public static let health = SystemContract.health
}
