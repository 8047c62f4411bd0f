/**
 * rhea is CommonJS and exports a container instance: under Node's ESM loader only its default
 * export exists (named imports fail at run time). This module takes the values from the default
 * export once; everything else imports rhea's values from here and its types from 'rhea'.
 *
 * Importing this module changes nothing in rhea: the registry's patches (src/amqp/rhea-patches)
 * are applied by installRheaPatches(), which the AMQP server calls when it starts.
 */
import rhea from 'rhea';

export const { create_container: createContainer, types, message } = rhea;
export { installRheaPatches, loadRheaLib, RheaPatchError, rheaPatchProblems } from './rhea-patches/install.js';
export { SLICE_BYTES, frameSliceEnd, MIN_MAX_FRAME_SIZE } from './rhea-patches/input.js';
export { typedCorrelation } from './rhea-patches/correlation.js';
