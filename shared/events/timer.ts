/** The FC timer trigger's event: `{triggerTime, triggerName, payload}` (payload is the trigger's configured string). */
import * as z from 'zod';

// Not strict: FC owns this envelope and may add fields; we read only these.
export const TimerEventSchema = z.object({
  triggerTime: z.string().min(1),
  triggerName: z.string().min(1),
  payload: z.string().optional(),
});
export type TimerEvent = z.infer<typeof TimerEventSchema>;
