/**
 * rhea is CommonJS and exports a container instance: under Node's ESM loader only its default
 * export exists (named imports fail at run time). This module takes the values from the default
 * export once; everything else imports rhea's values from here and its types from 'rhea'.
 */
import rhea from 'rhea';

export const { create_container: createContainer, types, message } = rhea;
