using AgNewsLsp.Server.Hosting;
using AgNewsLsp.Tests.Protocol;

// agnews-fake serve [--stdio | --port N] [options]: the real host with the fake engine.
// FAKE_STEP_MS sets the fake's delay per training/evaluation step (default 5).
var stepMs = int.TryParse(Environment.GetEnvironmentVariable("FAKE_STEP_MS"), out var ms) ? ms : 5;
return await ServerHost.RunAsync(args, _ => new FakeLabelingEngine { StepDelay = TimeSpan.FromMilliseconds(stepMs) });
