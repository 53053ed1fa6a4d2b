package dev.jnn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jnn.backend.BackendDeviceAllocator;
import dev.jnn.backend.BackendProvider;
import dev.jnn.backend.cpu.CpuBackendProvider;
import dev.jnn.backend.cuda.CudaBackendProvider;
import dev.jnn.backend.java.JavaBackendProvider;
import dev.jnn.nn.ProfileHooks;
import dev.jnn.profile.NvtxRanges;
import dev.jnn.tensor.DeviceAllocator;
import java.util.List;
import java.util.ServiceLoader;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The META-INF/services registrations that replace direct references between packages (see
 * PackageCyclesTest) are on the class path: in the build's classes, and in the jar of the offline
 * bundle, where this test runs too.
 */
class ServiceRegistrationsTest {

  private static <S> List<Class<?>> providers(Class<S> service) {
    return ServiceLoader.load(service, service.getClassLoader()).stream().map(ServiceLoader.Provider::type).collect(Collectors.toList());
  }

  @Test
  void backendProvidersAreRegisteredUnderTheirNames() {
    assertEquals(List.of(JavaBackendProvider.class, CpuBackendProvider.class, CudaBackendProvider.class), providers(BackendProvider.class));
    assertEquals(List.of("java", "cpu", "cuda"),
        ServiceLoader.load(BackendProvider.class, BackendProvider.class.getClassLoader()).stream().map(p -> p.get().name()).collect(Collectors.toList()));
  }

  @Test
  void tensorsGetDeviceMemoryFromTheBackends() {
    assertEquals(List.of(BackendDeviceAllocator.class), providers(DeviceAllocator.class));
  }

  @Test
  void nvtxListenerIsRegisteredWithTheProfileHooks() {
    assertEquals(List.of(NvtxRanges.Provider.class), providers(ProfileHooks.ListenerProvider.class));
  }
}
