import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Files the charts need at run time, shipped with the code: resvg's WebAssembly and the font it
 * draws text in. `bundled` is the name beside the render Lambda's bundle (infra/pipeline.ts
 * copies them there), `installed` the path in node_modules, where they are found elsewhere.
 * Reading them is the only I/O the renderers do, so it lives here, outside the pure core.
 */
export const chartAssets = {
  wasm: { bundled: 'resvg.wasm', installed: '@resvg/resvg-wasm/index_bg.wasm' },
  font: { bundled: 'DejaVuSans.ttf', installed: 'dejavu-fonts-ttf/ttf/DejaVuSans.ttf' },
} as const;

export type ChartAsset = (typeof chartAssets)[keyof typeof chartAssets];

/** The asset's bytes: beside the bundle when there, else from node_modules. */
export function readChartAsset(asset: ChartAsset): Buffer {
  const beside = path.join(path.dirname(fileURLToPath(import.meta.url)), asset.bundled);
  return readFileSync(existsSync(beside) ? beside : createRequire(import.meta.url).resolve(asset.installed));
}
