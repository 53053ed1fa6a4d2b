package dev.jnn.backend;

import dev.jnn.tensor.Device;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Backend discovery and selection. The registry is an explicit list (java, cpu, cuda), each
 * implemented by the {@link BackendProvider} of that name found on the class path (ServiceLoader,
 * see docs/ARCHITECTURE.md) and probed once: a backend whose native libraries fail to load is
 * reported with the exact reason, never thrown at the user unless they ask for it by name. CUDA is
 * probed by {@code dev.jnn.backend.cuda.CudaRuntime.probe()}; each device index gets one CUDA
 * backend, created on first use.
 *
 * <p>Default device: {@code -Djnn.device=...}, else the environment variable {@code JNN_DEVICE},
 * else the best available (cuda:0, else cpu, else java). In strict mode ({@code -Djnn.strict=true}, as in
 * the tests) a default that would fall back from an unavailable native backend to Java fails.
 *
 * <pre>{@code
 * Backend be = Backends.get(Device.CPU);         // throws BackendUnavailableException with the reason
 * Device d = Backends.defaultDevice();           // what -Djnn.device / JNN_DEVICE / best available pick
 * for (Backends.Status s : Backends.statuses()) System.out.println(s);
 * }</pre>
 */
public final class Backends {
  private Backends() {}

  /** Outcome of probing one backend: either a loaded backend or the reason it is unavailable. */
  public record Status(String name, Backend backend, String error) {
    public boolean available() { return backend != null; }

    @Override
    public String toString() { return name + ": " + (available() ? "loaded (" + backend.describe() + ")" : "unavailable: " + error); }
  }

  /** The providers found on the class path, by name (the first of a name wins), and what failed to load. */
  private record Providers(Map<String, BackendProvider> byName, List<String> errors) {}

  private static final Providers PROVIDERS = discover();
  private static final Backend JAVA = javaBackend();
  private static final Map<Device, Backend> simulated = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Tests only: serves {@code device} from {@code backend} (a simulated device, see
   * tests/dev/jnn/backend/SimulatedDevice), or stops doing so when backend is null.
   */
  static void simulate(Device device, Backend backend) {
    if (backend == null) simulated.remove(device);
    else simulated.put(device, backend);
  }
  private static volatile Status cpuStatus;
  private static final Map<Integer, Status> cudaStatus = new java.util.concurrent.ConcurrentHashMap<>();

  private static Providers discover() {
    Map<String, BackendProvider> byName = new LinkedHashMap<>();
    List<String> errors = new ArrayList<>();
    Iterator<BackendProvider> it = ServiceLoader.load(BackendProvider.class, BackendProvider.class.getClassLoader()).iterator();
    while (true) {
      try {
        if (!it.hasNext()) break;
        BackendProvider p = it.next();
        byName.putIfAbsent(p.name(), p);
      } catch (ServiceConfigurationError | LinkageError e) {   // one broken provider must not hide the others
        errors.add(reason(e));
      }
    }
    return new Providers(byName, errors);
  }

  /** Probes backend {@code name} for device {@code index} through its provider; never throws. */
  private static Status probe(String name, int index) {
    BackendProvider p = PROVIDERS.byName().get(name);
    if (p == null)
      return new Status(name, null, "no provider for backend " + name + " on the class path (META-INF/services/"
          + BackendProvider.class.getName() + ")" + (PROVIDERS.errors().isEmpty() ? "" : "; providers that failed to load: "
          + String.join("; ", PROVIDERS.errors())));
    try {
      return p.probe(index);
    } catch (LinkageError | RuntimeException e) {   // providers never throw by contract; a broken one must not break the others
      return new Status(name, null, reason(e));
    }
  }

  private static Backend javaBackend() {
    Status s = probe("java", 0);
    if (!s.available()) throw new IllegalStateException("the java backend, which jnn cannot run without, did not load: " + s.error());
    return s.backend();
  }

  /** Whether strict mode is on (no fallback from a native backend to Java). */
  public static boolean strict() { return Boolean.getBoolean("jnn.strict"); }

  /** The pure-Java reference backend (always available). */
  public static Backend java() { return JAVA; }

  private static Status cpu() {
    Status s = cpuStatus;
    if (s == null) {
      synchronized (Backends.class) {
        s = cpuStatus;
        if (s == null) cpuStatus = s = probe("cpu", 0);
      }
    }
    return s;
  }

  /**
   * A load failure, innermost cause first: JavaCPP's outer UnsatisfiedLinkError ("no jniJnnCpu in
   * java.library.path") is misleading, the innermost one names the library that is really missing.
   * For {@link BackendProvider}s, whose unavailable statuses carry it.
   */
  public static String reason(Throwable e) {
    java.util.List<Throwable> chain = new ArrayList<>();
    for (Throwable t = e; t != null && !chain.contains(t); t = t.getCause()) chain.add(t);
    StringBuilder sb = new StringBuilder();
    for (int i = chain.size() - 1; i >= 0; i--) {
      Throwable t = chain.get(i);
      if (sb.length() > 0) sb.append(i == chain.size() - 2 ? " (reported as: " : "; ");
      sb.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
    }
    if (chain.size() > 1) sb.append(")");
    return sb + " [platform " + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + "]";
  }

  /**
   * The status of device cuda:{@code index}: its backend when CUDA is usable and the device
   * exists, else the probe's reason or the device count. Created once per index.
   */
  private static Status cuda(int index) {
    Status s = cudaStatus.get(index);
    if (s != null) return s;
    synchronized (cudaStatus) {
      s = cudaStatus.get(index);
      if (s == null) {
        s = probe("cuda", index);
        cudaStatus.put(index, s);
      }
      return s;
    }
  }

  /** Every known backend with its status, in order of preference (best last); "cuda" is device cuda:0. */
  public static List<Status> statuses() {
    List<Status> all = new ArrayList<>();
    all.add(new Status("java", JAVA, null));
    all.add(cpu());
    all.add(cuda(0));
    return all;
  }

  /** The backend of a device; throws {@link BackendUnavailableException} naming the reason if it did not load. */
  public static Backend get(Device device) {
    Backend sim = simulated.isEmpty() ? null : simulated.get(device);
    if (sim != null) return sim;
    switch (device.kind()) {
      case JAVA: return JAVA;
      case CPU: {
        Status s = cpu();
        if (!s.available()) throw new BackendUnavailableException("cpu", s.error());
        return s.backend();
      }
      case CUDA: {
        Status s = cuda(device.index());
        if (!s.available()) throw new BackendUnavailableException(device.toString(), s.error());
        return s.backend();
      }
      default:
        throw new IllegalArgumentException("unknown device kind " + device.kind());
    }
  }

  /** The device selected by -Djnn.device, JNN_DEVICE, or the best available one. */
  public static Device defaultDevice() {
    String s = System.getProperty("jnn.device");
    if (s == null || s.isBlank()) s = System.getenv("JNN_DEVICE");
    if (s != null && !s.isBlank()) {
      Device d = Device.parse(s);
      get(d);   // an explicit choice that cannot load is an error, never a silent fallback
      return d;
    }
    if (cuda(0).available()) return Device.cuda(0);
    if (cpu().available()) return Device.CPU;
    if (strict()) throw new BackendUnavailableException("cpu", cpu().error() + " (strict mode forbids falling back to java)");
    System.getLogger("dev.jnn").log(System.Logger.Level.WARNING,
        "native cpu backend unavailable, using the java backend: " + cpu().error());
    return Device.JAVA;
  }

  /** Parses a device name as the command line and properties do ("java", "cpu", "cuda:0", "auto"). */
  public static Device resolve(String name) {
    if (name == null || name.isBlank() || name.trim().toLowerCase(Locale.ROOT).equals("auto")) return defaultDevice();
    Device d = Device.parse(name);
    get(d);
    return d;
  }
}
