import { afterEach, describe, expect, it, vi } from "vitest";
import { Compute, Failback, Failover } from "@pilot-light/core";

const now = () => new Date("2026-01-01T03:00:00Z");
const answer = (status: number, body: unknown) => vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response(typeof body === "string" ? body : JSON.stringify(body), { status }));
afterEach(() => vi.restoreAllMocks());

const failover = Compute.verifyAs.failover;
const drill = Compute.verifyAs.drill;
const switchback = Compute.verifyAs.switchback;

describe("the move's one verify (VerifyDrHealth, VerifyNewPrimary)", () => {
  it("a writable target passes both, and the probe says what its database is", async () => {
    answer(200, { status: "ok", db: "ok", readOnly: false });
    expect(await Compute.verifyHealth("http://t/health.php", now, switchback)).toMatchObject({ status: 200, readOnly: false, verifiedAt: now().toISOString() });
    answer(200, { status: "ok", db: "ok", readOnly: false });
    expect(await Compute.verifyHealth("http://t/health.php", now, failover)).toMatchObject({ status: 200, readOnly: false });
  });

  it("a read replica (a drill's target) passes where writability is not asked, and fails the new primary's verify with its own error", async () => {
    answer(200, { status: "ok", db: "ok", readOnly: true });
    expect(await Compute.verifyHealth("http://t/health.php", now, drill)).toMatchObject({ readOnly: true });
    answer(200, { status: "ok", db: "ok", readOnly: true });
    const verify = Compute.verifyHealth("http://t/health.php", now, switchback);
    await expect(verify).rejects.toBeInstanceOf(Failback.NewPrimaryUnhealthyError);
    await expect(Compute.verifyHealth("http://t/health.php", now, switchback)).rejects.toThrow(/read-only database \(readOnly: true\)/);
  });

  it("a failover's promoted database that still reads read-only fails VerifyDrHealth with its retried error", async () => {
    answer(200, { status: "ok", db: "ok", readOnly: true });
    const verify = Compute.verifyHealth("http://t/health.php", now, failover);
    await expect(verify).rejects.toBeInstanceOf(Failover.DrUnhealthyError);
    answer(200, { status: "ok", db: "ok", readOnly: true });
    await expect(Compute.verifyHealth("http://t/health.php", now, failover)).rejects.toThrow(/read-only database \(readOnly: true\)/);
  });

  it.each([
    ["a body without readOnly", 200, { status: "ok" }],
    ["a body that is not JSON", 200, "<html>It works!</html>"],
  ])("%s is not the contract's answer in any verify (a drill's too), and the error says the contract's readOnly is missing", async (_what, status, body) => {
    answer(status, body);
    await expect(Compute.verifyHealth("http://t/health.php", now, switchback)).rejects.toThrow(/answered 200 without the health contract's boolean readOnly \(readOnly: absent; docs\/health-contract.md\)/);
    answer(status, body);
    await expect(Compute.verifyHealth("http://t/health.php", now, failover)).rejects.toBeInstanceOf(Failover.DrUnhealthyError);
    // A drill asks for the boolean too: an app a real failover could never verify fails its drill, not the outage.
    answer(status, body);
    await expect(Compute.verifyHealth("http://t/health.php", now, drill)).rejects.toThrow(/without the health contract's boolean readOnly/);
  });

  it("anything but 2xx is each verify's own retried error", async () => {
    answer(503, { status: "error" });
    await expect(Compute.verifyHealth("http://t/health.php", now, failover)).rejects.toThrow(Failover.DrUnhealthyError);
    answer(503, { status: "error" });
    await expect(Compute.verifyHealth("http://t/health.php", now, switchback)).rejects.toThrow(Failback.NewPrimaryUnhealthyError);
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new Error("connect ECONNREFUSED"));
    await expect(Compute.verifyHealth("http://t/health.php", now, switchback)).rejects.toThrow(/NewPrimaryUnhealthy|failed: connect ECONNREFUSED/);
  });
});
