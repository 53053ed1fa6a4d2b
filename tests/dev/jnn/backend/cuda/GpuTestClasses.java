package dev.jnn.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The test classes that run on a GPU where one exists, for bin/gpu-check (each runs in its own
 * process): top-level {@code *Test} classes whose bytecode refers to a class that reaches the cuda
 * backend ({@link #MARKERS}), without the {@code build-tree} tag (those need the source tree).
 * Found by reading the class files' constant pools, so a new parity class is picked up with no
 * list to keep. Prints one class name a line.
 *
 * <pre>
 * java -cp lib/*:test/* dev.jnn.backend.cuda.GpuTestClasses test/jnn-tests.jar
 * </pre>
 */
public final class GpuTestClasses {
  private GpuTestClasses() {}

  /** Internal names whose presence in a class's constant pool means it has cuda rows or GPU tests. */
  static final List<String> MARKERS = List.of("dev/jnn/backend/BackendSource", "dev/jnn/backend/cuda/CudaRuntime", "dev/jnn/backend/cuda/CudaContext",
      "dev/jnn/backend/cuda/CudaBackend", "dev/jnn/backend/cuda/JnnCuda");

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: GpuTestClasses TESTS.jar|CLASSES_DIR");
      System.exit(2);
    }
    for (String c : find(Path.of(args[0]))) System.out.println(c);
  }

  /** The GPU test classes in a jar or a classes directory, sorted. */
  static List<String> find(Path where) throws IOException {
    TreeSet<String> out = new TreeSet<>();
    if (Files.isDirectory(where)) {
      try (Stream<Path> s = Files.walk(where)) {
        for (Path p : (Iterable<Path>) s::iterator) {
          String rel = where.relativize(p).toString().replace('\\', '/');
          if (candidate(rel) && gpu(Files.readAllBytes(p))) out.add(className(rel));
        }
      }
    } else {
      try (ZipFile z = new ZipFile(where.toFile())) {
        for (Enumeration<? extends ZipEntry> e = z.entries(); e.hasMoreElements(); ) {
          ZipEntry en = e.nextElement();
          if (!candidate(en.getName())) continue;
          try (InputStream in = z.getInputStream(en)) {
            if (gpu(in.readAllBytes())) out.add(className(en.getName()));
          }
        }
      }
    }
    return new ArrayList<>(out);
  }

  private static boolean candidate(String path) {
    return path.startsWith("dev/jnn/") && path.endsWith("Test.class") && !path.contains("$");
  }

  private static String className(String path) {
    return path.substring(0, path.length() - ".class".length()).replace('/', '.');
  }

  /** Whether the class file names a marker and does not carry the build-tree tag (ISO-8859-1 keeps every byte one char). */
  static boolean gpu(byte[] classFile) {
    String s = new String(classFile, StandardCharsets.ISO_8859_1);
    if (s.contains("build-tree")) return false;
    for (String m : MARKERS) if (s.contains(m)) return true;
    return false;
  }
}
