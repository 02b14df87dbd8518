/** Both regions of a stage, synthesized once per test file (cached by stage name). */
import { synthRegion, type RegionSynth } from "../../../packages/tools/src/offline-synth";
import { stageConfig } from "../../stages";

export { synthRegion };

const cache = new Map<string, Promise<{ primary: RegionSynth; dr: RegionSynth }>>();

export async function synthStage(stage: string) {
  let result = cache.get(stage);
  if (!result) {
    result = (async () => {
      const settings = stageConfig(stage);
      const primary = await synthRegion(stage, settings.primaryRegion);
      const dr = await synthRegion(stage, settings.drRegion);
      return { primary, dr };
    })();
    cache.set(stage, result);
  }
  const r = await result;
  return { primary: r.primary.templates, dr: r.dr.templates, raw: r };
}
