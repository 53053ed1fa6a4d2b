package dev.jnn.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DeviceTest {

  @Test
  void parsesTheDeviceNames() {
    assertSame(Device.JAVA, Device.parse("java"));
    assertSame(Device.CPU, Device.parse("cpu"));
    assertSame(Device.CPU, Device.parse("  CPU "));
    assertSame(Device.JAVA, Device.parse("Java"));
    assertEquals(Device.cuda(0), Device.parse("cuda"));
    assertEquals(Device.cuda(0), Device.parse("cuda:0"));
    assertEquals(Device.cuda(3), Device.parse("CUDA:3"));
    assertEquals(3, Device.parse("cuda:3").index());
    assertEquals(Device.Kind.CUDA, Device.parse("cuda:3").kind());
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "gpu", "cuda:", "cuda:x", "cuda:-1", "cpu:0", "cuda:1:2", "javax", "cuda 1"})
  void rejectsUnknownNames(String s) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Device.parse(s));
    assertTrue(e.getMessage().contains("'" + s + "'") || e.getMessage().contains("index"), e.getMessage());
  }

  @Test
  void parseNullIsAnNpeNamingTheArgument() {
    NullPointerException e = assertThrows(NullPointerException.class, () -> Device.parse(null));
    assertTrue(e.getMessage().contains("device"), e.getMessage());
  }

  @Test
  void toStringRoundTrips() {
    for (Device d : new Device[] {Device.JAVA, Device.CPU, Device.cuda(0), Device.cuda(7)}) assertEquals(d, Device.parse(d.toString()));
    assertEquals("java", Device.JAVA.toString());
    assertEquals("cpu", Device.CPU.toString());
    assertEquals("cuda:2", Device.cuda(2).toString());
  }

  @Test
  void hostDevices() {
    assertTrue(Device.JAVA.isHost());
    assertTrue(Device.CPU.isHost());
    assertFalse(Device.cuda(0).isHost());
  }

  @Test
  void indexRules() {
    assertThrows(IllegalArgumentException.class, () -> Device.cuda(-1));
    assertThrows(IllegalArgumentException.class, () -> new Device(Device.Kind.CPU, 1));
    assertThrows(IllegalArgumentException.class, () -> new Device(Device.Kind.JAVA, 2));
    assertThrows(NullPointerException.class, () -> new Device(null, 0));
    assertEquals(Device.CPU, new Device(Device.Kind.CPU, 0));
    assertNotEquals(Device.cuda(0), Device.cuda(1));
    assertNotEquals(Device.JAVA, Device.CPU);
    assertEquals(Device.cuda(1).hashCode(), Device.parse("cuda:1").hashCode());
  }
}
