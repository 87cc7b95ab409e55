import { defineUpdate } from '@temporalio/workflow';
import { Messages } from '../domain/messages';

/** The kiosk's door sensor saw a bike in its bay. */
export const bikeSensedUpdate = defineUpdate<{ bikeId: string; bay: number; status: string }, [{ bikeId: string }]>(Messages.bikeSensedUpdate);
