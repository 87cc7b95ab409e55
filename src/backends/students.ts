import { ok, problem, type BackendService, type ServiceRouter } from './service';

/** Demo students (documented in the README): registration dates out of id order, and one account hold. */
export const DEMO_STUDENTS: Record<string, { registeredAt: string; standing: 'GOOD' | 'HOLD' }> = {
  's-1001': { registeredAt: '2022-09-01', standing: 'GOOD' },
  's-1002': { registeredAt: '2020-09-01', standing: 'GOOD' },
  's-1003': { registeredAt: '2023-01-16', standing: 'GOOD' },
  's-1004': { registeredAt: '2019-09-02', standing: 'GOOD' },
  's-1005': { registeredAt: '2021-02-01', standing: 'GOOD' },
  's-1099': { registeredAt: '2020-01-10', standing: 'HOLD' },
};

/**
 * Any other `s-NNNN` is a student in good standing whose registration date follows from the number,
 * so tests and benchmarks have as many distinct students as they need.
 */
export function studentRecord(studentId: string): { registeredAt: string; standing: 'GOOD' | 'HOLD' } | null {
  const demo = DEMO_STUDENTS[studentId];
  if (demo) return demo;
  const match = /^s-(\d{4,6})$/.exec(studentId);
  if (!match) return null;
  const day = (Number(match[1]) * 37) % 3_000;
  return { registeredAt: new Date(Date.UTC(2015, 0, 1) + day * 86_400_000).toISOString().slice(0, 10), standing: 'GOOD' };
}

export function studentsRoutes(_service: BackendService) {
  return (router: ServiceRouter) => {
    router.read('get', '/students/:studentId', ({ params }) => {
      const record = studentRecord(params.studentId!);
      if (!record) return problem(404, 'UnknownStudent', `no student ${params.studentId}`);
      return ok({ studentId: params.studentId, ...record });
    });
  };
}
