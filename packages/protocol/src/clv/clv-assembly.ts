import { bgNbdFromTheta } from './bgnbd.ts';
import { gammaGammaFromTheta } from './gamma-gamma.ts';
import { CLV_MODEL_FORMAT, CLV_MODEL_FORMAT_VERSION, type ClvModel } from './clv-model.ts';

/**
 * The CLV model file of a federated fit, from each model's final log-parameters and their 95%
 * intervals (clvIntervals at the last round's aggregate). Shared by the coordinator's `clv` job
 * and the in-process fit, so both publish the same file for the same rounds.
 */

export interface ClvFitted {
  theta: readonly number[];
  intervals: readonly (readonly [number, number])[];
}

const pair = (x: readonly [number, number] | undefined): [number, number] => {
  if (!x) throw new RangeError('an interval is missing');
  return [x[0], x[1]];
};

export function federatedClvModel(o: {
  name: string;
  daysPerUnit: number;
  calibrationEnd: string;
  bgnbd: ClvFitted;
  gammaGamma: ClvFitted;
  fit: ClvModel['fit'];
}): ClvModel {
  const bi = o.bgnbd.intervals;
  const gi = o.gammaGamma.intervals;
  return {
    format: CLV_MODEL_FORMAT,
    formatVersion: CLV_MODEL_FORMAT_VERSION,
    kind: 'bgnbd_gamma_gamma',
    name: o.name,
    daysPerUnit: o.daysPerUnit,
    calibrationEnd: o.calibrationEnd,
    bgnbd: bgNbdFromTheta(o.bgnbd.theta),
    gammaGamma: gammaGammaFromTheta(o.gammaGamma.theta),
    intervals: {
      bgnbd: { r: pair(bi[0]), alpha: pair(bi[1]), a: pair(bi[2]), b: pair(bi[3]) },
      gammaGamma: { p: pair(gi[0]), q: pair(gi[1]), v: pair(gi[2]) },
    },
    fit: o.fit,
  };
}
