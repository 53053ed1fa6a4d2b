package dev.jnn.cli;

import dev.jnn.backend.Backends;
import dev.jnn.tensor.Device;
import java.util.concurrent.Callable;
import org.bytedeco.javacpp.Loader;
import picocli.CommandLine.Command;

/**
 * {@code jnn info}: which backends loaded, their versions and threads, and why the others did not;
 * which collective libraries (Gloo, NCCL) of dev.jnn.dist loaded, from where, or why not.
 */
@Command(name = "info", description = "Show backends, versions, threads, and why a backend failed to load.")
final class InfoCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.out.println("jnn " + Jnn.VERSION);
    System.out.println("java      " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
        + " (" + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " cpus)");
    System.out.println("javacpp   " + javacppVersion() + " (platform " + Loader.getPlatform() + ")");
    System.out.println("openblas  org.bytedeco:openblas preset (version, core and threads: see the cpu backend line)");
    System.out.println("backends:");
    for (Backends.Status s : Backends.statuses()) {
      System.out.println("  " + (s.available() ? "[ok]   " : "[fail] ") + s.name() + ": "
          + (s.available() ? s.backend().describe() : s.error()));
      if (s.backend() instanceof dev.jnn.backend.cpu.CpuBackend cpu) {
        System.out.println("         build: " + cpu.buildInfo());
        for (String line : cpu.kernelLibraries()) System.out.println("         " + line);
      }
    }
    for (String line : dev.jnn.backend.cuda.CudaInfo.lines()) System.out.println(line);
    for (String line : dev.jnn.dist.CollectiveLibs.lines()) System.out.println(line);
    String def;
    try {
      Device d = Backends.defaultDevice();
      def = d.toString();
    } catch (RuntimeException e) {
      def = "none (" + e.getMessage() + ")";
    }
    System.out.println("default device: " + def + "  (override with -Djnn.device=java|cpu or JNN_DEVICE)");
    return 0;
  }

  private static String javacppVersion() {
    try {
      return Loader.getVersion();
    } catch (java.io.IOException | RuntimeException e) {
      return "unknown (" + e.getMessage() + ")";
    }
  }
}
