import { LvsError } from '../errors.js';

/** drain/enable/roll could not do what was asked: exit 1 with this one line. */
export class DrainError extends LvsError {
  constructor(message: string) {
    super('drain', message, 1);
  }
}
