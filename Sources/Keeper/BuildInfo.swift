/// What this binary is, for `--version` and the `lgk_build_info` metric.
public enum BuildInfo {
    public static let version = "0.1.0"
    public static let name = "lg-keeper"
}
