import { z } from 'zod';
import type { Money } from './money';
import type { SagaTuning } from './saga';

export const ClassRegistrationRequestSchema = z.object({
  studentId: z.string().regex(/^s-\d{4,6}$/, 'a student id such as s-1001'),
  sectionId: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
});
export type ClassRegistrationRequest = z.infer<typeof ClassRegistrationRequestSchema>;

export interface ClassRegistrationInput extends ClassRegistrationRequest {
  tuition: Money;
  tuning: SagaTuning;
  /** The allocator continues as new past this many history events. */
  allocatorMaxHistory: number;
}

export interface ClassRegistrationResult {
  sectionId: string;
  studentId: string;
  registeredAt: string;
  enrollmentId: string;
  chargeId: string;
}
